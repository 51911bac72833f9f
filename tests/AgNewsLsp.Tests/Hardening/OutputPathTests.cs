using System.Diagnostics;
using AgNewsLsp.IO;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>
/// Issue 23, item 5: what an output path names decides how it is written (AtomicFile, the one rule behind a head,
/// label/train/embed --out and labelFolder's output). Nothing a path names is replaced by a file unless it was a file.
/// </summary>
public class OutputPathTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string MakeFifo(string name)
    {
        var path = Path.Combine(temp.Path, name);
        using var mkfifo = Process.Start("mkfifo", path)!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Fact]
    public async Task A_fifo_is_written_through_and_stays_a_fifo()
    {
        var fifo = MakeFifo("out.csv");
        var read = Task.Run(() => File.ReadAllText(fifo)); // a reader, as `cat out.csv` would be
        var write = Task.Run(() => AtomicFile.WriteAllText(fifo, "file,label\na.txt,Sports\n"));
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromMinutes(1))));
        await write;
        Assert.Equal("file,label\na.txt,Sports\n", await read);
        Assert.Equal(UnixFileType.Fifo, InputFiles.TypeOf(fifo));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path)); // no temp file left beside it
    }

    [Fact]
    public void A_character_device_is_written_through_and_stays_a_device()
    {
        AtomicFile.WriteAllText("/dev/null", "anything");
        Assert.Equal(UnixFileType.CharacterDevice, InputFiles.TypeOf("/dev/null"));
    }

    [Fact]
    public void A_link_is_followed_and_its_file_replaced_atomically_the_link_kept()
    {
        var target = Path.Combine(temp.Path, "real.csv");
        File.WriteAllText(target, "old");
        var link = Path.Combine(temp.Path, "link.csv");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal("new", File.ReadAllText(target));
        Assert.NotNull(new FileInfo(link).LinkTarget); // still a link
        var dangling = Path.Combine(temp.Path, "dangling.csv");
        File.CreateSymbolicLink(dangling, Path.Combine(temp.Path, "made-by-the-write.csv"));
        AtomicFile.WriteAllText(dangling, "made");
        Assert.Equal("made", File.ReadAllText(Path.Combine(temp.Path, "made-by-the-write.csv")));
        Assert.Equal(Path.Combine(temp.Path, "made-by-the-write.csv"), AtomicFile.WrittenPath(dangling));
    }

    [Fact]
    public void A_folder_is_refused_and_left_alone()
    {
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, "out")).FullName;
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(folder, "x"));
        Assert.Contains("is a folder", e.Message);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void A_regular_file_is_replaced_atomically_and_errors_name_the_users_path_not_the_temp_file()
    {
        var file = Path.Combine(temp.Path, "head.json");
        File.WriteAllText(file, "old");
        AtomicFile.WriteAllText(file, "new");
        Assert.Equal("new", File.ReadAllText(file));
        var missingFolder = Path.Combine("/proc", "agnews-no-such", "out.csv"); // a folder that cannot be made
        var e = Assert.ThrowsAny<Exception>(() => AtomicFile.WriteAllText(missingFolder, "x"));
        Assert.DoesNotContain(".tmp", e.Message);
    }
}

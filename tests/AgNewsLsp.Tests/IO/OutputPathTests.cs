using System.Diagnostics;
using AgNewsLsp.IO;

namespace AgNewsLsp.Tests.IO;

/// <summary>
/// What a write (--out, a head, labelFolder's output) does with each kind of path (docs/security.md, "What --out does
/// with each kind of path"): a regular file or nothing is replaced atomically, a FIFO or character device is written
/// through, a link is followed, a folder, block device or socket is refused. The tests run as root in CI, so that a
/// rename over a device would succeed if the rule let it.
/// </summary>
public class OutputPathTests
{
    /// <summary>The file type as stat(1) names it (links not followed), so the test does not trust the code it checks.</summary>
    private static string TypeOf(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%F", path]) { RedirectStandardOutput = true })!;
        var type = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return type;
    }

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args))!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public async Task A_fifo_is_written_through_and_stays_a_fifo()
    {
        using var folder = new TempFolder();
        var fifo = folder.Combine("rows.csv");
        Run("mkfifo", fifo);
        var reader = Task.Run(() => File.ReadAllText(fifo));

        await AtomicFile.WriteAsync(fifo, async (s, ct) => await s.WriteAsync("a,b\n"u8.ToArray(), ct), CancellationToken.None);

        Assert.Equal("a,b\n", await reader.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("fifo", TypeOf(fifo));
        Assert.Equal(["rows.csv"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_fifo_without_a_reader_is_left_when_the_run_is_cancelled()
    {
        using var folder = new TempFolder();
        var fifo = folder.Combine("rows.csv");
        Run("mkfifo", fifo);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var write = AtomicFile.WriteAsync(fifo, (_, _) => Task.CompletedTask, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("fifo", TypeOf(fifo));
    }

    [Fact]
    public void A_character_device_is_written_through_and_stays_a_device()
    {
        using var folder = new TempFolder();
        var device = folder.Combine("null");
        Run("mknod", device, "c", "1", "3"); // /dev/null's numbers

        AtomicFile.WriteAllText(device, "rows");

        Assert.Equal("character special file", TypeOf(device));
        Assert.Equal(["null"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_full_device_is_an_error_that_names_it()
    {
        using var folder = new TempFolder(); // a node of its own: before the fix, the test replaced the device it wrote to
        var device = folder.Combine("full");
        Run("mknod", device, "c", "1", "7"); // /dev/full's numbers

        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllText(device, "rows"));

        Assert.Contains(device, e.Message);
        Assert.Equal("character special file", TypeOf(device));
    }

    [Fact]
    public void A_block_device_is_refused_and_left_as_it_is()
    {
        using var folder = new TempFolder();
        var device = folder.Combine("disk");
        Run("mknod", device, "b", "7", "0"); // a loop device's numbers

        var e = Assert.Throws<OutputPathRefusedException>(() => AtomicFile.WriteAllText(device, "rows"));
        Assert.Contains(device, e.Message);
        Assert.Contains("block device", e.Message);
        Assert.Equal("block special file", TypeOf(device));
    }

    [Fact]
    public void A_folder_is_refused_and_left_as_it_is()
    {
        using var folder = new TempFolder();
        var target = folder.Combine("out");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "kept");

        var e = Assert.Throws<OutputPathRefusedException>(() => AtomicFile.WriteAllText(target, "rows"));
        Assert.Contains(target, e.Message);
        Assert.Contains("folder", e.Message);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "keep.txt")));
    }

    [Fact]
    public void A_link_is_followed_and_its_target_replaced_atomically()
    {
        using var folder = new TempFolder();
        var target = folder.File("real/labels.csv", "old");
        var link = folder.Combine("labels.csv");
        File.CreateSymbolicLink(link, "real/labels.csv");

        AtomicFile.WriteAllText(link, "new");

        Assert.Equal("symbolic link", TypeOf(link));
        Assert.Equal("real/labels.csv", new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(["labels.csv"], Directory.GetFiles(Path.GetDirectoryName(target)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_dangling_link_gets_its_target_created()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Combine("real"));
        var link = folder.Combine("labels.csv");
        File.CreateSymbolicLink(link, folder.Combine("real/labels.csv"));

        AtomicFile.WriteAllText(link, "new");

        Assert.Equal("symbolic link", TypeOf(link));
        Assert.Equal("new", File.ReadAllText(folder.Combine("real/labels.csv")));
    }

    [Fact]
    public void An_error_names_the_users_path_not_the_temp_file()
    {
        using var folder = new TempFolder();
        var link = folder.Combine("labels.csv");
        File.CreateSymbolicLink(link, folder.Combine("missing-folder/labels.csv"));

        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllText(link, "new"));

        Assert.Contains(link, e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Fact]
    public void A_regular_file_is_replaced_atomically()
    {
        using var folder = new TempFolder();
        var file = folder.File("labels.csv", "old");
        using var heldOpen = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        AtomicFile.WriteAllText(file, "new");

        Assert.Equal("new", File.ReadAllText(file));
        Assert.Equal("old", new StreamReader(heldOpen).ReadToEnd()); // a reader of the old file still sees it whole
        Assert.Equal("regular file", TypeOf(file));
    }
}

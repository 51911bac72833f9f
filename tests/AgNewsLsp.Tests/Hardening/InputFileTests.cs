using AgNewsLsp.IO;
using System.Diagnostics;
using AgNewsLsp.Data;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>Issue 9, item 3 and 5: only regular files are read as data, every read is bounded and cancellable.</summary>
public class InputFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("agnews-input-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string MakeFifo()
    {
        var path = Path.Combine(folder, "fifo");
        using var mkfifo = Process.Start("mkfifo", path)!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/stdin")]
    public async Task Devices_are_refused_as_data_without_reading_them(string path)
    {
        // Reading /dev/zero never ends and /dev/stdin waits for input: a refusal that comes at all came before any read.
        // The wait below only keeps a regression from hanging the run; it is not what the test measures.
        var read = Task.Run(() => LabeledDataReader.ReadSplit(path, "train"));
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromMinutes(2))));
        var e = Assert.IsType<NotARegularFileException>(read.Exception!.InnerException);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public async Task A_fifo_is_refused_without_opening_it()
    {
        var fifo = MakeFifo();
        // Opening a FIFO for reading blocks until a writer comes: the refusal must come before any open.
        var read = Task.Run(() => LabeledDataReader.ReadSplit(fifo, "train"));
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.IsType<NotARegularFileException>(read.Exception!.InnerException);
        Assert.Equal(FileKind.Other, InputFiles.KindOf(fifo));
        Assert.Equal(FileKind.Directory, InputFiles.KindOf(folder));
    }

    [Fact]
    public void A_jsonl_line_over_the_limit_is_a_data_error_naming_the_line()
    {
        var path = Path.Combine(folder, "long.jsonl");
        File.WriteAllText(path,
            "{\"text\":\"ok\",\"label\":1}\n{\"text\":\"" + new string('x', InputLimits.MaxRecordChars + 10) + "\",\"label\":1}\n");
        var e = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true)));
        Assert.Equal(2, e.Line);
        Assert.Contains("longer than", e.Message);
    }

    [Fact]
    public void A_csv_record_over_the_limit_is_a_data_error()
    {
        var path = Path.Combine(folder, "long.csv");
        // an unterminated quote would otherwise swallow the whole file into one field
        File.WriteAllText(path, "\"1\",\"title\",\"" + new string('y', InputLimits.MaxRecordChars + 10));
        var e = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Contains("longer than", e.Message);
    }

    [Fact]
    public void Reading_stops_when_cancelled()
    {
        var path = Path.Combine(folder, "many.csv");
        File.WriteAllLines(path, Enumerable.Range(0, 5000).Select(i => $"\"{i % 4 + 1}\",\"title {i}\",\"text {i}\""));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            LabeledDataReader.ReadFile(path, new DataReadOptions { Cancellation = cancel.Token }));
        Assert.Equal(5000, LabeledDataReader.ReadFile(path).Count);
    }

    [Fact]
    public void Malformed_data_is_a_format_exception_so_fronts_treat_it_as_bad_input()
    {
        var path = Path.Combine(folder, "bad.csv");
        File.WriteAllText(path, "\"9\",\"t\",\"d\"\n");
        Exception e = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public async Task Bounded_text_reads_refuse_devices_and_oversized_files()
    {
        await Assert.ThrowsAsync<NotARegularFileException>(() => InputFiles.ReadTextAsync("/dev/zero", 1000));
        var path = Path.Combine(folder, "big.txt");
        await File.WriteAllTextAsync(path, new string('a', 2000));
        await Assert.ThrowsAsync<InvalidDataException>(() => InputFiles.ReadTextAsync(path, 1000));
        Assert.Equal(2000, (await InputFiles.ReadTextAsync(path, 2000)).Length);
        await Assert.ThrowsAsync<InvalidDataException>(() =>
            InputFiles.ReadToEndAsync(new StringReader(new string('\0', 5000)), 1000, "stdin"));
    }

    [Fact]
    public void A_path_under_a_folder_is_judged_with_links_resolved()
    {
        var inside = Directory.CreateDirectory(Path.Combine(folder, "ws")).FullName;
        File.WriteAllText(Path.Combine(inside, "a.txt"), "x");
        File.CreateSymbolicLink(Path.Combine(inside, "passwd"), "/etc/passwd");
        Assert.True(InputFiles.IsUnder(Path.Combine(inside, "a.txt"), inside));
        Assert.True(InputFiles.IsUnder(Path.Combine(inside, "missing.txt"), inside));
        Assert.False(InputFiles.IsUnder(Path.Combine(inside, "passwd"), inside));
        Assert.False(InputFiles.IsUnder(Path.Combine(inside, "..", "..", "etc", "passwd"), inside));
    }
}

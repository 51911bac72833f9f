using AgNewsLsp.IO;
using System.Diagnostics;

namespace AgNewsLsp.Tests.IO;

public class FileGlobsTests
{
    [Fact]
    public void The_default_takes_text_and_markdown_files_at_any_depth()
    {
        var globs = new FileGlobs();
        Assert.Equal([FileGlobs.DefaultInclude], globs.Include);
        Assert.True(globs.Matches("a.txt"));
        Assert.True(globs.Matches("x/y/z.md"));
        Assert.False(globs.Matches("a.csv"));
        Assert.False(globs.Matches("a.txt.bak"));
        Assert.False(globs.Matches("A.TXT")); // case-sensitive, as the file system is
    }

    [Fact]
    public void Braces_expand_with_nesting_and_commas_only_at_their_level()
    {
        Assert.Equal(["a/*.txt", "a/*.md"], FileGlobs.Expand("a/*.{txt,md}"));
        Assert.Equal(["x", "yz", "yw", "v"], FileGlobs.Expand("{x,y{z,w},v}"));
        Assert.Equal(["a1c", "a1d", "a2c", "a2d"], FileGlobs.Expand("a{1,2}{c,d}"));
        Assert.Equal(["ab"], FileGlobs.Expand("a{b}"));
        Assert.Equal(["a", "ab"], FileGlobs.Expand("a{,b}"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/{b,c", "without its '}'")]
    [InlineData("a/b}", "without its '{'")]
    [InlineData("/etc/*.txt", "absolute")]
    [InlineData("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "more than 256")]
    public void Bad_globs_are_refused_with_the_reason(string glob, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => new FileGlobs([glob]));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Star_stays_in_one_segment_and_double_star_crosses_them()
    {
        var top = new FileGlobs(["*.txt"]);
        Assert.True(top.Matches("a.txt"));
        Assert.False(top.Matches("x/a.txt"));
        var deep = new FileGlobs(["docs/**/*.md"]);
        Assert.True(deep.Matches("docs/a.md"));
        Assert.True(deep.Matches("docs/x/y/a.md"));
        Assert.False(deep.Matches("other/a.md"));
    }

    [Fact]
    public void Excludes_win_over_includes()
    {
        var globs = new FileGlobs(exclude: ["drafts/**", "**/*.tmp.txt"]);
        Assert.False(globs.Matches("drafts/a.txt"));
        Assert.False(globs.Matches("drafts/x/a.md"));
        Assert.False(globs.Matches("x/a.tmp.txt"));
        Assert.True(globs.Matches("x/drafts.txt"));
        Assert.True(globs.Matches("notdrafts/a.txt"));
    }

    [Fact]
    public void Too_many_globs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new FileGlobs(Enumerable.Repeat("*.txt", FileGlobs.MaxPatterns + 1).ToList()));
    }
}

public class FolderFilesTests
{
    [Fact]
    public void A_walk_that_matches_nothing_still_stops_when_cancelled()
    {
        using var temp = new TempFolder();
        for (var i = 0; i < 50; i++)
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(temp.Path, $"d{i}", "e")).FullName, "a.txt"), "x");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var globs = new FileGlobs(["**/*.nomatch"]);
        Assert.Empty(FolderFiles.Enumerate(temp.Path, globs)); // it walks all of it, finding nothing
        Assert.Throws<OperationCanceledException>(() =>
            FolderFiles.Enumerate(temp.Path, globs, cancellationToken: cancelled.Token).ToList());
    }

    private static List<FolderFile> Walk(string folder, FileGlobs? globs = null) =>
        FolderFiles.Enumerate(folder, globs ?? new FileGlobs()).ToList();

    [Fact]
    public void Files_come_in_ordinal_order_of_their_relative_paths()
    {
        using var folder = new TempFolder();
        string[] names = ["b.txt", "a-b.txt", "a/x.txt", "a/b/c.md", "a.txt", "a0.txt", "B.txt", "z/y/x/w.txt", "a/a.txt"];
        foreach (var name in names) folder.File(name, "text");
        folder.File("a/skip.csv", "not matched");
        var found = Walk(folder.Path).Select(f => f.RelativePath).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), found);
        Assert.All(Walk(folder.Path), f => Assert.Equal(Path.Combine(folder.Path, f.RelativePath), f.FullPath));
    }

    [Fact]
    public void Links_out_of_the_folder_and_links_to_folders_are_not_followed()
    {
        using var outside = new TempFolder();
        var secret = outside.File("secret.txt", "outside");
        outside.File("more/inner.txt", "outside too");
        using var folder = new TempFolder();
        var inside = folder.File("real.txt", "inside");
        File.CreateSymbolicLink(folder.Combine("in-link.txt"), inside);
        File.CreateSymbolicLink(folder.Combine("out-link.txt"), secret);
        File.CreateSymbolicLink(folder.Combine("dangling.txt"), folder.Combine("gone.txt"));
        Directory.CreateSymbolicLink(folder.Combine("linked-folder"), outside.Combine("more"));
        Directory.CreateSymbolicLink(folder.Combine("loop"), folder.Path);

        var found = Walk(folder.Path).ToDictionary(f => f.RelativePath, f => f.SkipReason);
        Assert.Equal(["dangling.txt", "in-link.txt", "out-link.txt", "real.txt"], found.Keys.Order(StringComparer.Ordinal));
        Assert.Null(found["real.txt"]);
        Assert.Null(found["in-link.txt"]);
        Assert.Contains("outside the folder", found["out-link.txt"]);
        Assert.Contains("to nothing", found["dangling.txt"]);
    }

    [Fact]
    public void A_fifo_is_listed_for_the_reader_to_refuse()
    {
        using var folder = new TempFolder();
        using (var mkfifo = Process.Start("mkfifo", folder.Combine("pipe.txt"))!) mkfifo.WaitForExit();
        var file = Assert.Single(Walk(folder.Path));
        Assert.Equal("pipe.txt", file.RelativePath);
        Assert.Equal(FileKind.Other, InputFiles.KindOf(file.FullPath));
    }

    [Fact]
    public void A_missing_folder_is_an_error()
    {
        Assert.ThrowsAny<IOException>(() => Walk("/definitely/not/here"));
    }
}

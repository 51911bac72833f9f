using AgNewsLsp.Server.Protocol;

namespace AgNewsLsp.Tests.Protocol;

public class WorkspaceFoldersTests
{
    [Fact]
    public void Files_inside_a_folder_count_links_are_resolved_and_a_folder_declared_before_it_exists_counts_once_it_does()
    {
        using var temp = new TempFolder();
        var ws = Directory.CreateDirectory(Path.Combine(temp.Path, "ws")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(temp.Path, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "x");
        File.CreateSymbolicLink(Path.Combine(ws, "escape.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateDirectory(Path.Combine(ws, "sub"));
        var folders = new WorkspaceFolders();
        Assert.True(folders.Add(new Uri(ws).AbsoluteUri));
        Assert.False(folders.Add("relative/path"));

        Assert.True(folders.Contains(Path.Combine(ws, "sub", "missing.txt"))); // missing, judged by its folder
        Assert.True(folders.ContainsFolder(Path.Combine(ws, "sub")));
        Assert.True(folders.ContainsFolder(ws));
        Assert.False(folders.Contains(Path.Combine(ws, "escape.txt"))); // a link out of the workspace
        Assert.False(folders.Contains(Path.Combine(outside, "secret.txt")));
        Assert.False(folders.Contains(ws + "-sibling/file.txt"));

        var later = Path.Combine(temp.Path, "later");
        folders.Add(later);
        Assert.False(folders.ContainsFolder(later));
        Directory.CreateDirectory(later);
        Assert.True(folders.Contains(Path.Combine(later, "a.txt")));

        folders.Remove(ws);
        Assert.False(folders.Contains(Path.Combine(ws, "sub", "missing.txt")));
        Assert.Equal([later], folders.Folders);
    }

    [Fact]
    public async Task Forty_thousand_folders_cost_the_depth_of_a_path_not_their_number()
    {
        using var temp = new TempFolder();
        var folders = new WorkspaceFolders();
        for (var i = 0; i < 40_000; i++) folders.Add(Path.Combine(temp.Path, "missing", $"folder-{i}"));
        var real = Directory.CreateDirectory(Path.Combine(temp.Path, "real", "deep")).FullName;
        folders.Add(Path.Combine(temp.Path, "real"));
        // Before the index, each question resolved all 40,000 folders (2,000 questions: 80 million realpath calls, minutes).
        var work = Task.Run(() =>
        {
            var inside = 0;
            for (var q = 0; q < 2000; q++)
                if (folders.Contains(Path.Combine(real, $"file-{q}.txt"))) inside++;
            return inside;
        });
        Assert.Same(work, await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(60))));
        Assert.Equal(2000, await work);
        Assert.Equal(40_001, folders.Folders.Count);
    }
}

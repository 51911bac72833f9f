namespace AgNewsLsp.Tests;

/// <summary>
/// Locates the shared data that sits beside the repository checkout (../shared from the repo root), by walking
/// up from the test binaries until a folder holds shared/data/ag_news/test.csv.
/// </summary>
public static class TestPaths
{
    private static readonly Lazy<string?> SharedRoot = new(FindSharedRoot);

    /// <summary>The shared/ folder.</summary>
    public static string Shared => SharedRoot.Value ?? throw new DirectoryNotFoundException(
        $"No shared/data/ag_news/test.csv found in any parent of {AppContext.BaseDirectory}. " +
        "The shared/ folder must sit beside the repository checkout.");

    /// <summary>shared/data/ag_news (test.csv, train.csv, classes.txt).</summary>
    public static string AgNewsData => Path.Combine(Shared, "data", "ag_news");

    public static string AgNewsTrain => Path.Combine(AgNewsData, "train.csv");
    public static string AgNewsTest => Path.Combine(AgNewsData, "test.csv");

    /// <summary>The cache tests share (the converted embedded default, features), beside the test binaries.</summary>
    public static string TestCache { get; } = Path.Combine(AppContext.BaseDirectory, "test-cache");

    /// <summary>shared/fixtures.</summary>
    public static string Fixtures => Path.Combine(Shared, "fixtures");

    private static string? FindSharedRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (File.Exists(Path.Combine(candidate, "data", "ag_news", "test.csv"))) return candidate;
        }
        return null;
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agnews-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string File(string relative, string contents)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, contents);
        return full;
    }

    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

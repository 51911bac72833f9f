namespace AgNewsLsp.Tests;

/// <summary>Finds ../shared (data, fixtures) by walking up from the test binaries, and a per-run cache.</summary>
public static class SharedPaths
{
    public static string Shared { get; } = Find();

    public static string Fixtures => Path.Combine(Shared, "fixtures");
    public static string AgNews => Path.Combine(Shared, "data", "ag_news");

    /// <summary>The model cache tests share (the converted embedded default lives here), under the repo's ignored folders.</summary>
    public static string TestCache { get; } = Path.Combine(AppContext.BaseDirectory, "test-cache");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (File.Exists(Path.Combine(candidate, "data", "ag_news", "test.csv"))) return candidate;
        }
        throw new DirectoryNotFoundException("../shared (with data/ag_news/test.csv) not found above " + AppContext.BaseDirectory);
    }
}

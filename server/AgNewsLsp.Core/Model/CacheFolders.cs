namespace AgNewsLsp.Model;

/// <summary>Per-user cache locations (AGNEWS_CACHE, else $XDG_CACHE_HOME/agnews, else ~/.cache/agnews).</summary>
public static class CacheFolders
{
    public static string Root
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable("AGNEWS_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var baseDir = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseDir, "agnews");
        }
    }

    public static string Models(string? root = null) => Path.Combine(root ?? Root, "models");
    public static string Features(string? root = null) => Path.Combine(root ?? Root, "features");
    /// <summary>Heads trained without a configured head path: one per model, named by its fingerprint.</summary>
    public static string Heads(string? root = null) => Path.Combine(root ?? Root, "heads");

    /// <summary>Hugging Face's hub cache: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.</summary>
    public static string HuggingFaceHub
    {
        get
        {
            var hubCache = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
            if (!string.IsNullOrWhiteSpace(hubCache)) return hubCache;
            var home = Environment.GetEnvironmentVariable("HF_HOME");
            if (!string.IsNullOrWhiteSpace(home)) return Path.Combine(home, "hub");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
        }
    }
}

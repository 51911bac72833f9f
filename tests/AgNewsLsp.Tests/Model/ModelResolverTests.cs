using System.Net;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;

namespace AgNewsLsp.Tests.Model;

[Collection(EmbeddedModelCollection.Name)]
public class ModelResolverTests(EmbeddedModelFixture fixture)
{
    [Fact]
    public async Task Downloads_from_the_hub_endpoint_named_by_HF_ENDPOINT()
    {
        using var cache = new TempFolder();
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var requested = new List<string>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch { return; }
                var path = context.Request.Url!.AbsolutePath; // /org/name/resolve/main/file
                lock (requested) requested.Add(path);
                var file = Path.Combine(fixture.Folder, Path.GetFileName(path));
                if (path.StartsWith("/test-org/tiny-bert/resolve/main/", StringComparison.Ordinal) && File.Exists(file))
                {
                    var bytes = await File.ReadAllBytesAsync(file);
                    context.Response.ContentLength64 = bytes.Length;
                    await context.Response.OutputStream.WriteAsync(bytes);
                }
                else context.Response.StatusCode = 404;
                context.Response.Close();
            }
        });

        var previous = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        var previousHub = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_ENDPOINT", $"http://127.0.0.1:{port}");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", Path.Combine(cache.Path, "hf"));
        try
        {
            var resolved = await new ModelResolver(cache.Path).ResolveAsync("test-org/tiny-bert");
            Assert.Equal(ModelSource.Hub, resolved.Source);
            Assert.True(BertCheckpoint.IsCheckpointFolder(resolved.Folder));
            Assert.Contains("/test-org/tiny-bert/resolve/main/model.safetensors", requested);
            using var model = BertCheckpoint.Load(resolved.Folder);
            Assert.Equal(6, model.Config.NumHiddenLayers);

            // A name the hub does not have is a clear error that names the URL.
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => new ModelResolver(cache.Path).ResolveAsync("test-org/missing"));
            Assert.Contains("404", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", previous);
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", previousHub);
            listener.Stop();
        }
    }

    [Fact]
    public async Task Explicit_folder_wins_and_a_missing_one_is_an_error()
    {
        var resolved = await new ModelResolver(TestPaths.TestCache).ResolveAsync(fixture.Folder);
        Assert.Equal(ModelSource.Path, resolved.Source);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            new ModelResolver(TestPaths.TestCache).ResolveAsync("/no/such/model/folder"));
        var embedded = await new ModelResolver(TestPaths.TestCache).ResolveAsync(null);
        Assert.Equal(ModelSource.Embedded, embedded.Source);
    }

    [Fact]
    public async Task Hugging_face_hub_cache_is_used_before_any_download()
    {
        using var hub = new TempFolder();
        var snapshot = Path.Combine(hub.Path, "models--some-org--cached-bert", "snapshots", "abc123");
        Directory.CreateDirectory(snapshot);
        foreach (var f in Directory.GetFiles(fixture.Folder)) File.Copy(f, Path.Combine(snapshot, Path.GetFileName(f)));
        Directory.CreateDirectory(Path.Combine(hub.Path, "models--some-org--cached-bert", "refs"));
        File.WriteAllText(Path.Combine(hub.Path, "models--some-org--cached-bert", "refs", "main"), "abc123");
        var previous = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", hub.Path);
        try
        {
            var resolved = await new ModelResolver(TestPaths.TestCache).ResolveAsync("some-org/cached-bert");
            Assert.Equal(ModelSource.HubCache, resolved.Source);
            Assert.Equal(snapshot, resolved.Folder);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", previous);
        }
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

using AgNewsLsp.Engine;
using Microsoft.Extensions.Logging;

namespace AgNewsLsp.Server.Hosting;

/// <summary>
/// Creates the engine once per process, lazily, with the options of the first session that asks
/// (the first initialize). Every session of a TCP server shares it, so training state is shared too.
/// A failed creation is not cached: the next request tries again.
/// </summary>
public sealed class EngineProvider(Func<ServerOptions, ILabelingEngine> factory, ILogger logger) : IAsyncDisposable
{
    private readonly object gate = new();
    private Task<ILabelingEngine>? engine;
    private ServerOptions? createdWith;

    /// <summary>Starts creating the engine in the background if nothing has yet; returns the pending engine.</summary>
    public Task<ILabelingEngine> GetAsync(ServerOptions options)
    {
        lock (gate)
        {
            if (engine is { IsFaulted: false, IsCanceled: false })
            {
                if (createdWith is not null && !SameEngineOptions(createdWith, options))
                    logger.LogWarning("engine already loaded with other options; this session shares it");
                return engine;
            }
            createdWith = options;
            logger.LogInformation("loading engine (model {Model}, head {Head})", options.ModelPath ?? "default", options.HeadPath ?? "default");
            return engine = Task.Run(() => factory(options));
        }
    }

    private static bool SameEngineOptions(ServerOptions a, ServerOptions b) =>
        a.ModelPath == b.ModelPath && a.HeadPath == b.HeadPath && a.Pooling == b.Pooling &&
        a.MaxTokens == b.MaxTokens && a.CacheFolder == b.CacheFolder;

    /// <summary>Disposes the engine if one was created and it is disposable.</summary>
    public async ValueTask DisposeAsync()
    {
        Task<ILabelingEngine>? created;
        lock (gate) created = engine;
        if (created is not { IsCompletedSuccessfully: true }) return;
        try
        {
            switch (created.Result)
            {
                case IAsyncDisposable a: await a.DisposeAsync(); break;
                case IDisposable d: d.Dispose(); break;
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("disposing the engine failed: {Message}", ex.Message);
        }
    }
}

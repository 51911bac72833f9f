using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;
using Microsoft.Extensions.Logging;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Server.Runtime;

/// <summary>
/// Creates engines lazily, one per distinct engine configuration (model, head, pooling, max tokens, cache
/// folder), so that each session gets the engine its own settings ask for: one client's headPath never
/// becomes another's. Sessions with the same settings share an engine, and with it its training state.
/// At most <see cref="MaxEngines"/> configurations are loaded at once (each holds a model in memory).
/// A failed creation is not cached: the next request tries again.
/// </summary>
public sealed class EngineProvider(Func<ServerOptions, Task<ILabelingEngine>> factory, ILogger logger) : IAsyncDisposable
{
    /// <summary>The most engines one server process loads.</summary>
    public const int MaxEngines = 4;

    private readonly object gate = new();
    private readonly Dictionary<string, Task<TaughtEngine>> engines = new();
    /// <summary>
    /// Each options object's engine key, computed once: a session asks for its engine on every request, and the key is
    /// built by reflection over the option table. Keyed by the object itself, since options never change in place
    /// (a record's 'with' makes a new one).
    /// </summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ServerOptions, string> keys = new();

    /// <summary>
    /// Starts creating the engine for these options in the background if none is; returns the pending engine, with what
    /// its users taught it (sessions that share an engine share its corrections).
    /// </summary>
    public Task<TaughtEngine> GetAsync(ServerOptions options)
    {
        var key = keys.GetValue(options, OptionTable.EngineKey);
        lock (gate)
        {
            if (engines.TryGetValue(key, out var existing) && existing is { IsFaulted: false, IsCanceled: false })
                return existing;
            engines.Remove(key);
            if (engines.Count >= MaxEngines)
                throw new InvalidOperationException(
                    $"this server already holds {MaxEngines} engines for other settings " +
                    $"({string.Join(", ", OptionTable.Rows.Where(r => r.Spec.Scope == OptionScope.Engine).Select(r => r.Name))}); " +
                    "use one of those settings or another server");
            logger.LogInformation("loading engine (model {Model}, head {Head})", options.ModelPath ?? "default",
                options.HeadPath ?? "default");
            var created = Task.Run(async () => new TaughtEngine(await factory(options)));
            engines[key] = created;
            return created;
        }
    }

    /// <summary>Disposes every engine that was created and is disposable.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task<TaughtEngine>> created;
        lock (gate) created = engines.Values.ToList();
        foreach (var task in created)
        {
            if (task is not { IsCompletedSuccessfully: true }) continue;
            try
            {
                switch (task.Result.Inner)
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
}

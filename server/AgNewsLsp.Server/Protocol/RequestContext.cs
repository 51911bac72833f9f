using System.Text;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol.Documents;
using Microsoft.Extensions.Logging;

namespace AgNewsLsp.Server.Protocol;

/// <summary>What a handler may use: the session's documents, options, progress, client and the engine.</summary>
public sealed class RequestContext(
    EngineProvider engines,
    DocumentStore documents,
    WorkDoneProgressRegistry progress,
    IClientChannel client,
    ILogger logger)
{
    public DocumentStore Documents { get; } = documents;
    public WorkDoneProgressRegistry Progress { get; } = progress;
    public IClientChannel Client { get; } = client;
    public ILogger Logger { get; } = logger;

    /// <summary>URIs this session published diagnostics for; they are cleared when the document closes.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, byte> DiagnosticsPublished { get; } = new(StringComparer.Ordinal);

    /// <summary>Host options merged with the client's initializationOptions at initialize.</summary>
    public ServerOptions Options { get; set; } = new();

    /// <summary>Initialize starts loading the engine; handlers wait for it here.</summary>
    public async Task<ILabelingEngine> GetEngineAsync(CancellationToken cancellationToken)
    {
        Task<ILabelingEngine> pending = engines.GetAsync(Options);
        try
        {
            return await pending.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception ex)
        {
            var inner = ex is AggregateException { InnerException: { } i } ? i : ex;
            throw ProtocolErrors.Internal($"engine failed to load: {inner.Message}");
        }
    }

    /// <summary>Rejects what the engine must never see: NUL characters (binary content) and oversized texts.</summary>
    public void CheckText(string text, string what)
    {
        if (text.Contains('\0'))
            throw ProtocolErrors.BadInput($"{what} looks binary (contains NUL characters)");
        // Cheap upper bound first: a UTF-16 char is at most 3 UTF-8 bytes.
        if ((long)text.Length * 3 > Options.MaxTextBytes && Encoding.UTF8.GetByteCount(text) > Options.MaxTextBytes)
            throw ProtocolErrors.BadInput($"{what} is too large ({Encoding.UTF8.GetByteCount(text)} bytes; the limit is {Options.MaxTextBytes})");
    }

    /// <summary>A data path from the client: a file: URI or a path, relative ones against dataFolder.</summary>
    /// <remarks>A path that does not exist is -32003 here, before the engine is involved.</remarks>
    /// <summary>dataPath and dataPaths of a request, each resolved; at least one is required.</summary>
    public IReadOnlyList<string> ResolveDataPaths(string? dataPath, IReadOnlyList<string>? dataPaths)
    {
        var given = (dataPath is null ? [] : new[] { dataPath }).Concat(dataPaths ?? []).ToList();
        if (given.Count == 0) throw ProtocolErrors.InvalidParams("dataPath (or dataPaths) is required");
        return given.Select(ResolveDataPath).ToList();
    }

    public string ResolveDataPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw ProtocolErrors.InvalidParams("dataPath is required");
        string full;
        try
        {
            if (path.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(path, UriKind.Absolute, out var uri))
                full = uri.LocalPath;
            else if (!Path.IsPathRooted(path) && !string.IsNullOrEmpty(Options.DataFolder))
                full = Path.GetFullPath(Path.Combine(Options.DataFolder, path));
            else
                full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw ProtocolErrors.BadInput($"invalid data path '{path}': {ex.Message}");
        }
        if (!File.Exists(full) && !Directory.Exists(full))
            throw ProtocolErrors.BadInput($"data file not found: {full}");
        return full;
    }
}

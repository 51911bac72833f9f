using AgNewsLsp.IO;
using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;
using AgNewsLsp.Server.Protocol.Documents;
using Microsoft.Extensions.Logging;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

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

    /// <summary>Re-labels documents whose labels were put in place, after they change.</summary>
    public LabelsInPlace LabelsInPlace => labelsInPlace ??= new LabelsInPlace(this);
    private LabelsInPlace? labelsInPlace;

    /// <summary>The token initialize must carry (TCP); null when the transport needs none (stdio).</summary>
    public string? RequiredToken { get; init; }

    /// <summary>The clock behind the session's timers (the pause before labels in place follow an edit); tests use a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The MarkupKind of hovers (<see cref="Handlers.HoverHandler.FormatFor"/>), chosen at initialize.</summary>
    public string HoverFormat { get; set; } = MarkupKind.Markdown;

    /// <summary>The client declared workspace.codeLens.refreshSupport: it may be asked to fetch lenses again.</summary>
    public bool ClientRefreshesCodeLenses { get; set; }

    /// <summary>Host options merged with the client's initializationOptions at initialize, then with the settings
    /// workspace/didChangeConfiguration may change.</summary>
    public ServerOptions Options { get; set; } = new();

    /// <summary>
    /// Initialize starts loading the engine; handlers wait for it here. The first time, it also learns the corrections
    /// already in the workspace folders' corrections files (a problem with one is logged, not an error of the request).
    /// </summary>
    public async Task<TaughtEngine> GetEngineAsync(CancellationToken cancellationToken)
    {
        try
        {
            var engine = await engines.GetAsync(Options).WaitAsync(cancellationToken);
            foreach (var folder in Workspace.Folders) LoadCorrections(engine, CorrectionsFile.PathFor(Options.TeachDataset, folder, null));
            return engine;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception ex)
        {
            var inner = ex is AggregateException { InnerException: { } i } ? i : ex;
            var advice = inner is AgNewsLsp.Training.HeadForAnotherModelException ? " " + LanguageServer.HeadAdvice : "";
            throw ProtocolErrors.Internal($"engine failed to load: {inner.Message}{advice}");
        }
    }

    private readonly HashSet<string> correctionsLoaded = new(StringComparer.Ordinal);

    /// <summary>Teaches the engine a corrections file's rows, once per session and file (the engine skips a file it already has).</summary>
    private void LoadCorrections(TaughtEngine engine, string dataset)
    {
        lock (correctionsLoaded)
            if (!correctionsLoaded.Add(dataset)) return;
        try
        {
            var loaded = engine.Teacher.Load(dataset);
            if (loaded.Warning is not null) Logger.LogWarning("{Warning}", loaded.Warning);
            if (loaded.Corrections > 0) Logger.LogInformation("taught {Count} corrections from {Path}", loaded.Corrections, dataset);
        }
        catch (NoHeadException)
        {
            lock (correctionsLoaded) correctionsLoaded.Remove(dataset); // nothing to teach yet: again once a head is there
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException
            or AgNewsLsp.Data.DataFormatException)
        {
            Logger.LogWarning("corrections in {Path} not read: {Message}", dataset, ex.Message);
        }
    }

    /// <summary>
    /// The corrections file for a document: teachDataset when absolute, else under the document's workspace folder (the
    /// first folder for a document outside them, the document's own folder without any).
    /// </summary>
    public string DatasetFor(string? uri)
    {
        if (Options.TeachDataset is { } configured && Path.IsPathRooted(configured)) return Path.GetFullPath(configured);
        var documentPath = uri is null ? null : WorkspaceFolders.ToLocalPath(uri);
        var folder = (documentPath is null ? null : Workspace.FolderOf(documentPath)) ?? Workspace.Folders.FirstOrDefault()
            ?? (documentPath is null ? null : Path.GetDirectoryName(documentPath))
            ?? throw ProtocolErrors.BadInput("no folder to keep corrections in: open a folder, or set teachDataset to an absolute path");
        return CorrectionsFile.PathFor(Options.TeachDataset, folder, null);
    }

    /// <summary>Rejects what the engine must never see: NUL characters (binary content) and oversized texts.</summary>
    public void CheckText(string text, string what)
    {
        if (InputLimits.TextProblem(text, what, Options.MaxTextBytes) is { } problem) throw ProtocolErrors.BadInput(problem);
    }

    /// <summary>The client's workspace folders (initialize, then workspace/didChangeWorkspaceFolders): local paths.</summary>
    public WorkspaceFolders Workspace { get; } = new();

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
        // The user's own choice, anywhere; but only a regular file or a folder: a device or FIFO would never end.
        return InputFiles.KindOf(full) switch
        {
            FileKind.Regular or FileKind.Directory => full,
            null => throw ProtocolErrors.BadInput($"data file not found: {full}"),
            _ => throw ProtocolErrors.BadInput(new NotARegularFileException(full).Message),
        };
    }
}

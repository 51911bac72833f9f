using AgNewsLsp.Server.Protocol.Documents;

namespace AgNewsLsp.Server.Hosting;

/// <summary>
/// What the host and the engine factory are configured with. Bound, lowest to highest precedence, from
/// environment variables AGNEWS_* (e.g. AGNEWS_MODELPATH), the command line (--modelPath x, --hoverUnit line)
/// and the client's initialize.initializationOptions.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Serve over stdin/stdout (the default).</summary>
    public bool Stdio { get; init; } = true;
    /// <summary>Serve over TCP on 127.0.0.1 at this port instead of stdio (0 picks a free port).</summary>
    public int? Port { get; init; }

    public string? ModelPath { get; init; }
    public string? HeadPath { get; init; }
    /// <summary>Relative dataPath values of train/evaluate are resolved against this folder.</summary>
    public string? DataFolder { get; init; }
    public string? Pooling { get; init; }
    public int? MaxTokens { get; init; }
    public string? CacheFolder { get; init; }
    public HoverUnit HoverUnit { get; init; } = HoverUnit.Paragraph;

    /// <summary>Largest text accepted per text, in UTF-8 bytes; larger ones get -32003.</summary>
    public int MaxTextBytes { get; init; } = InputLimits.DefaultMaxTextBytes;

    /// <summary>Largest frame body read; a Content-Length above it is refused unread.</summary>
    public long MaxFrameBytes => Math.Max(64L << 20, 8L * MaxTextBytes);

    /// <summary>Largest open document kept, in UTF-16 code units; a larger one is not kept (logged).</summary>
    public int MaxDocumentChars { get; init; } = 32 << 20;

    /// <summary>Most documents one session keeps open; more are not kept (logged).</summary>
    public int MaxOpenDocuments { get; init; } = 1000;

    /// <summary>Over TCP: the file the connection token is written to (mode 0600); default under the runtime folder.</summary>
    public string? TokenFile { get; init; }
    /// <summary>Minimum time between two $/progress reports of one piece of work.</summary>
    public int ProgressThrottleMs { get; init; } = 100;
    /// <summary>Publish Information diagnostics per paragraph after agnews/labelDocument.</summary>
    public bool PublishDiagnostics { get; init; } = true;
    /// <summary>Least level that goes to stderr and window/logMessage: Trace, Debug, Information, Warning, Error.</summary>
    public string LogLevel { get; init; } = "Information";
}

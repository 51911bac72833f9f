using AgNewsLsp.IO;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;
using Microsoft.Extensions.Logging;

namespace AgNewsLsp.Server.Options;

/// <summary>
/// Every setting of the server and the command line, declared once: a property with its default and an
/// <see cref="OptionAttribute"/> (help, scope, bounds, who may set it). <see cref="OptionTable"/> derives the rest
/// from here: the command line's global options, <c>serve</c>'s options, environment variables AGNEWS_&lt;NAME&gt;,
/// <c>initializationOptions</c>, the usage text and which settings need an engine of their own.
/// Precedence, lowest to highest: environment, command line, the client's initializationOptions.
/// </summary>
public sealed record ServerOptions
{
    [Option("serve one client over stdin/stdout (the default)", Scope = OptionScope.Host, Hint = "")]
    public bool Stdio { get; init; } = true;

    [Option("serve clients over TCP on 127.0.0.1:N (0 picks a free port); " +
        "each must send the token file's content as initializationOptions.token",
        Scope = OptionScope.Host, Hint = "N", Min = 0, Max = 65535)]
    public int? Port { get; init; }

    [Option("where --port writes its token (mode 0600; default $XDG_RUNTIME_DIR/agnews/server-N.token)", Scope = OptionScope.Host,
        Hint = "FILE")]
    public string? TokenFile { get; init; }

    [Option("most TCP connections served at once; a connection above it is closed at once (logged)", Scope = OptionScope.Host, Hint = "N",
        Min = 1)]
    public int MaxConnections { get; init; } = 32;

    [Option("most TCP connections that have not yet shown the token; a connection above it is closed at once (logged)",
        Scope = OptionScope.Host, Hint = "N", Min = 1)]
    public int MaxUnauthenticatedConnections { get; init; } = 8;

    [Option("time a TCP connection has to send initialize with the token, in ms; then it is closed (logged)", Scope = OptionScope.Host,
        Hint = "N", Min = 1)]
    public int AuthTimeoutMs { get; init; } = 10_000;

    [Option("BERT checkpoint folder or Hugging Face name (default: the embedded all-MiniLM-L6-v2)", Scope = OptionScope.Engine,
        Hint = "PATH|NAME", Aliases = ["model"], FromClient = true)]
    public string? ModelPath { get; init; }

    [Option("head file to use (and to save training into)", Scope = OptionScope.Engine, Hint = "FILE", Aliases = ["head"],
        FromClient = true, IsPath = true)]
    public string? HeadPath { get; init; }

    [Option("cache folder (default ~/.cache/agnews, or AGNEWS_CACHE)", Scope = OptionScope.Engine, Hint = "DIR", Aliases = ["cache"],
        FromClient = true, IsPath = true)]
    public string? CacheFolder { get; init; }

    [Option("longer texts are truncated", Scope = OptionScope.Engine, Hint = "N", Min = EngineSettings.MinMaxTokens, FromClient = true)]
    public int MaxTokens { get; init; } = EngineSettings.DefaultMaxTokens;

    [Option("auto (bf16 where the CPU runs it faster than fp32: AMX, or AMD with AVX-512 BF16; else fp32), fp32, bf16",
        Scope = OptionScope.Engine, Hint = "P")]
    public Precision? Precision { get; init; }

    [Option("libtorch threads (1 to the number of cores)", Scope = OptionScope.Engine, Hint = "N", Min = 1, MaxIsCoreCount = true)]
    public int? Threads { get; init; }

    [Option("the pooling training and embedding use when a request names none", Hint = "P", FromClient = true)]
    public Pooling Pooling { get; init; } = Poolings.Default;

    [Option("the head kind training uses when a request names none", Hint = "K", FromClient = true)]
    public HeadKind HeadKind { get; init; } = HeadKinds.Default;

    [Option("folder that relative dataPath values of train/evaluate are resolved against", Hint = "DIR", FromClient = true)]
    public string? DataFolder { get; init; }

    [Option("the corrections file (JSONL) labels taught in place go to, relative to the document's workspace folder (default " +
        AgNewsLsp.Teaching.CorrectionsFile.DefaultRelativePath + ")", Hint = "FILE", FromClient = true)]
    public string? TeachDataset { get; init; }

    [Option("what a hover labels: paragraph or line", Hint = "U", FromClient = true)]
    public TextUnit HoverUnit { get; init; } = TextUnit.Paragraph;

    [Option("most paragraphs of one document labelled in place (CodeLens, labels that follow edits); the rest are not", Hint = "N", Min = 0,
        FromClient = true, ChangesLabelsInPlace = true)]
    public int MaxInlineLabels { get; init; } = 1000;

    [Option("largest text accepted per text, in UTF-8 bytes (larger: -32003)", Hint = "N", Min = 1, FromClient = true,
        ChangesLabelsInPlace = true)]
    public int MaxTextBytes { get; init; } = InputLimits.DefaultMaxTextBytes;

    [Option("largest open document kept, in UTF-16 code units (larger: not kept, logged)", Hint = "N", Min = 1)]
    public int MaxDocumentChars { get; init; } = 32 << 20;

    [Option("most documents one session keeps open", Hint = "N", Min = 1)]
    public int MaxOpenDocuments { get; init; } = 1000;

    [Option("most UTF-16 code units all of one session's open documents hold together (more: the document is not kept, logged)",
        Hint = "N", Min = 1)]
    public int MaxSessionChars { get; init; } = 128 << 20;

    [Option("least time between two $/progress reports of one piece of work, in ms", Hint = "N", Min = 0, FromClient = true)]
    public int ProgressThrottleMs { get; init; } = 100;

    [Option("publish labels as diagnostics after agnews/labelDocument", Hint = "B", FromClient = true)]
    public bool PublishDiagnostics { get; init; } = true;

    [Option("least level logged to stderr and window/logMessage: Trace, Debug, Information, Warning, Error", Scope = OptionScope.Host,
        Hint = "L")]
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Largest frame body read; a Content-Length above it is refused unread.</summary>
    public long MaxFrameBytes => Math.Max(64L << 20, 8L * MaxTextBytes);

    /// <summary>What the engine is built with: the engine-scoped settings.</summary>
    public EngineSettings ToEngineSettings() => new()
    {
        Model = ModelPath,
        HeadPath = HeadPath is { Length: > 0 } head ? Path.GetFullPath(head) : null,
        CacheRoot = CacheFolder is { Length: > 0 } cache ? Path.GetFullPath(cache) : null,
        MaxTokens = MaxTokens,
        Precision = Precision,
        Threads = Threads,
    };
}

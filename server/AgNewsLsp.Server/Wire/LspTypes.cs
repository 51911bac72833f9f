using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Server.Wire;

// The slice of the Language Server Protocol this host speaks. Plain data, camelCase on the wire (see LspJson).

public sealed record Position(int Line, int Character);

public sealed record Range(Position Start, Position End);

public sealed record TextDocumentIdentifier(string Uri);

public sealed record VersionedTextDocumentIdentifier(string Uri, int? Version = null);

public sealed record TextDocumentItem(string Uri, string Text, string? LanguageId = null, int Version = 0);

public sealed record TextDocumentPositionParams(TextDocumentIdentifier TextDocument, Position Position);

public sealed record DidOpenTextDocumentParams(TextDocumentItem TextDocument);

public sealed record DidCloseTextDocumentParams(TextDocumentIdentifier TextDocument);

/// <summary>One change: with a range it is incremental, without it replaces the whole text.</summary>
public sealed record TextDocumentContentChangeEvent(string Text, Range? Range = null);

public sealed record DidChangeTextDocumentParams(VersionedTextDocumentIdentifier TextDocument,
    TextDocumentContentChangeEvent[] ContentChanges);

public sealed record MarkupContent(string Kind, string Value);

/// <summary>The MarkupKind values of LSP: what a client may list in hover.contentFormat.</summary>
public static class MarkupKind
{
    public const string Markdown = "markdown", PlainText = "plaintext";
}

public sealed record Hover(MarkupContent Contents, Range? Range = null);

public sealed record InitializeParams(
    int? ProcessId = null,
    string? RootUri = null,
    JsonElement? InitializationOptions = null,
    ClientCapabilities? Capabilities = null,
    JsonElement? ClientInfo = null,
    string? RootPath = null,
    WorkspaceFolder[]? WorkspaceFolders = null);

public sealed record WorkspaceFolder(string Uri, string? Name = null);

public sealed record WorkspaceFoldersChangeEvent(WorkspaceFolder[] Added, WorkspaceFolder[] Removed);

public sealed record DidChangeWorkspaceFoldersParams(WorkspaceFoldersChangeEvent Event);

public sealed record ClientCapabilities(
    WindowClientCapabilities? Window = null,
    TextDocumentClientCapabilities? TextDocument = null,
    WorkspaceClientCapabilities? Workspace = null);

public sealed record TextDocumentClientCapabilities(HoverClientCapabilities? Hover = null);

/// <summary>ContentFormat: the MarkupKinds the client renders, the one it prefers first.</summary>
public sealed record HoverClientCapabilities(string[]? ContentFormat = null);

public sealed record WorkspaceClientCapabilities(CodeLensWorkspaceClientCapabilities? CodeLens = null);

/// <summary>RefreshSupport: the client accepts workspace/codeLens/refresh.</summary>
public sealed record CodeLensWorkspaceClientCapabilities(bool? RefreshSupport = null);

/// <summary>Settings: { agnews: { ... } } or the agnews settings themselves; anything else in it is another tool's.</summary>
public sealed record DidChangeConfigurationParams(JsonElement? Settings = null);

public sealed record WindowClientCapabilities(bool? WorkDoneProgress = null);

public sealed record InitializeResult(ServerCapabilities Capabilities, ServerInfo ServerInfo);

public sealed record ServerInfo(string Name, string Version);

public sealed record ServerCapabilities(
    bool HoverProvider,
    TextDocumentSyncOptions TextDocumentSync,
    ExecuteCommandOptions ExecuteCommandProvider,
    CodeLensOptions CodeLensProvider,
    bool CodeActionProvider = true);

public sealed record CodeLensOptions(bool ResolveProvider);

public sealed record CodeLensParams(TextDocumentIdentifier TextDocument);

/// <summary>A lens shows its command's title; running it runs the command (one that executeCommandProvider advertises).</summary>
public sealed record CodeLens(Range Range, LspCommand Command);

public sealed record LspCommand(string Title, string Command, IReadOnlyList<object>? Arguments = null);

/// <summary>TextDocumentSyncKind: 1 full, 2 incremental.</summary>
public sealed record TextDocumentSyncOptions(bool OpenClose, int Change);

public sealed record ExecuteCommandOptions(IReadOnlyList<string> Commands);

public sealed record ExecuteCommandParams(string Command, JsonElement[]? Arguments = null, JsonElement? WorkDoneToken = null);

public sealed record WorkDoneProgressCreateParams(JsonElement Token);

public sealed record WorkDoneProgressCancelParams(JsonElement Token);

public sealed record ProgressParams(JsonElement Token, WorkDoneProgressValue Value);

public sealed record WorkDoneProgressValue(
    string Kind,
    string? Title = null,
    bool? Cancellable = null,
    string? Message = null,
    int? Percentage = null);

public sealed record LogMessageParams(int Type, string Message);

public static class MessageType
{
    public const int Error = 1, Warning = 2, Info = 3, Log = 4;
}

public sealed record Diagnostic(Range Range, int Severity, string Source, string Message);

public static class DiagnosticSeverity
{
    public const int Error = 1, Warning = 2, Information = 3, Hint = 4;
}

public sealed record PublishDiagnosticsParams(string Uri, int? Version, IReadOnlyList<Diagnostic> Diagnostics);

using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Engine;
using AgNewsLsp.Settings;
using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Server.Wire;

// The agnews/* wire types (docs/protocol.md, "Custom requests") and their translation from the core's records.
// One shape per thing: the language server sends these and the command line's --json prints the same ones.
// The core never sees these; handlers and the command line translate on the way in and on the way out.

public sealed record PredictionDto(
    string Label,
    int LabelIndex,
    IReadOnlyDictionary<string, double> Probabilities,
    bool Truncated,
    int TokenCount,
    bool ByUser = false)
{
    public static PredictionDto From(Prediction p)
    {
        var probabilities = new Dictionary<string, double>(p.LabelNames.Count);
        for (var i = 0; i < p.LabelNames.Count && i < p.Probabilities.Length; i++)
            probabilities[p.LabelNames[i]] = Math.Round(p.Probabilities[i], 6);
        return new PredictionDto(p.Label, p.LabelIndex, probabilities, p.Truncated, p.TokenCount, p.ByUser);
    }
}

/// <summary>{ text } or { texts }, or { textDocument, position }: the hover unit (paragraph or line) at the position.</summary>
public sealed record ClassifyParams(string? Text = null, string[]? Texts = null, TextDocumentIdentifier? TextDocument = null,
    Position? Position = null);

public sealed record ClassifyResult(IReadOnlyList<PredictionDto> Predictions);

public sealed record LabelDocumentParams(string Uri, string? Unit = null);

public sealed record ParagraphLabel(Range Range, string Text, PredictionDto Prediction);

public sealed record LabelDocumentResult(string Uri, PredictionDto Document, IReadOnlyList<ParagraphLabel>? Paragraphs);

/// <summary>Data is dataPath (one file or folder), dataPaths (several), or both.</summary>
public sealed record TrainParams(
    string? DataPath = null,
    string? HeadKind = null,
    string? Pooling = null,
    int? MaxEpochs = null,
    int? Seed = null,
    double? ValidationFraction = null,
    bool? SkipBadRows = null,
    int? Limit = null,
    JsonElement? WorkDoneToken = null,
    string[]? DataPaths = null,
    int? MaxPasses = null);

public sealed record EvaluateParams(string? DataPath = null, bool? SkipBadRows = null, int? Limit = null, JsonElement? WorkDoneToken = null,
    string[]? DataPaths = null);

public sealed record ClassMetricsDto(string Label, double Precision, double Recall, double F1, int Support);

public sealed record ReportDto(
    int Count,
    double Accuracy,
    double MacroF1,
    double LogLoss,
    double ExpectedCalibrationError,
    IReadOnlyList<string> LabelNames,
    IReadOnlyList<ClassMetricsDto> PerClass,
    int[][] ConfusionMatrix)
{
    public static ReportDto From(EvaluationReport r) => new(
        r.Count, r.Accuracy, r.MacroF1, r.LogLoss, r.ExpectedCalibrationError, r.LabelNames,
        r.PerClass.Select(c => new ClassMetricsDto(c.Label, c.Precision, c.Recall, c.F1, c.Support)).ToList(),
        r.ConfusionMatrix);
}

public sealed record EpochDto(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy);

public sealed record TrainResultDto(
    string HeadPath,
    HeadKind HeadKind,
    int TrainCount,
    int ValidationCount,
    int SkippedRows,
    int DuplicateRows,
    IReadOnlyList<string> Files,
    double FeatureSeconds,
    double TrainSeconds,
    double Temperature,
    ReportDto Validation,
    IReadOnlyList<EpochDto> History)
{
    public static TrainResultDto From(TrainResult r) => new(
        r.HeadPath, r.HeadKind, r.TrainCount, r.ValidationCount, r.SkippedRows, r.DuplicateRows, r.Files,
        Math.Round(r.FeatureTime.TotalSeconds, 3), Math.Round(r.TrainTime.TotalSeconds, 3), Math.Round(r.Temperature, 4),
        ReportDto.From(r.Validation),
        r.History.Select(e => new EpochDto(e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy)).ToList());
}

/// <summary>agnews/status params: none are read; an empty object or nothing at all.</summary>
public sealed record StatusParams();

public sealed record StatusResult(
    string ModelName,
    string ModelPath,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? HeadPath,
    Pooling Pooling,
    Pooling TrainPooling,
    string Device,
    Precision Precision,
    int MaxTokens,
    string CacheDirectory,
    long CachedFeatureFiles,
    bool Training,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ReportDto? LastMetrics,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<string>? LabelNames,
    string? LastMetricsSource)
{
    /// <summary>What lastMetrics measured: "validation" (the head's held-out rows) or "evaluation: FILES".</summary>
    private static string? SourceOf(EngineStatus s) =>
        s.LastMetrics is null ? null : s.LastMetricsData is { } data ? "evaluation: " + data : "validation";

    /// <param name="trainPooling">The session's pooling setting: what agnews/train and agnews/embed use when a request names none.</param>
    public static StatusResult From(EngineStatus s, Pooling trainPooling) => new(
        s.ModelName, s.ModelPath, s.HeadPath, s.HeadPooling ?? trainPooling, trainPooling, s.Device, s.Precision, s.MaxTokens,
        s.CacheDirectory, s.CachedFeatureFiles, s.Training, s.LastMetrics is null ? null : ReportDto.From(s.LastMetrics), s.LabelNames,
        SourceOf(s));
}

/// <summary>agnews/embed params: the texts, and a pooling (default: the server's, as training uses).</summary>
public sealed record EmbedParams(string[]? Texts = null, string? Pooling = null);

public sealed record EmbedResult(string ModelName, string Fingerprint, Pooling Pooling, int Dimension, IReadOnlyList<float[]> Vectors);

/// <summary>
/// agnews/labelFolder params. folder and output are paths or file: URIs inside a workspace folder; a relative output
/// is taken in the folder. include defaults to **/*.{txt,md}; unit to "document"; format to the output's extension.
/// </summary>
public sealed record LabelFolderParams(
    string? Folder = null,
    string[]? Include = null,
    string[]? Exclude = null,
    string? Unit = null,
    string? Format = null,
    string? Output = null,
    JsonElement? WorkDoneToken = null);

public sealed record SkippedFileDto(string File, string Reason);

public sealed record LabelCountDto(string Label, int Documents, int Paragraphs);

/// <summary>
/// A folder's labelling, for a summary table: files found, labelled, skipped (the first 100 named with the reason),
/// and per label how many documents and paragraphs got it. output is null when the rows went to standard output.
/// </summary>
public sealed record LabelFolderResult(
    string Folder,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Output,
    string Format,
    string Unit,
    int FilesMatched,
    int FilesLabeled,
    long Rows,
    int Skipped,
    IReadOnlyList<SkippedFileDto> SkippedFiles,
    IReadOnlyList<LabelCountDto> LabelCounts,
    double Seconds)
{
    public static LabelFolderResult From(FolderSummary s, FolderOutputFormat format) => new(
        s.Folder, s.OutputPath, format.Name(), AgNewsLsp.Settings.SettingNames.Name(s.Unit), s.FilesMatched, s.FilesLabeled, s.Rows,
        s.Skipped, s.SkippedFiles.Select(f => new SkippedFileDto(f.File, f.Reason)).ToList(),
        s.LabelCounts.Select(c => new LabelCountDto(c.Label, c.Documents, c.Paragraphs)).ToList(),
        Math.Round(s.Elapsed.TotalSeconds, 3));
}

/// <summary>
/// A person labels a text: the paragraph (the hover's unit) at textDocument + position, the text in textDocument +
/// range, or a text alone. Label: a class the head knows, or a new one.
/// </summary>
public sealed record CorrectParams(string? Label = null, TextDocumentIdentifier? TextDocument = null, Position? Position = null,
    Range? Range = null, string? Text = null);

/// <summary>A class taught beyond the head's, with its corrections; weak: so few that its labels are not to be trusted yet.</summary>
public sealed record NewClassDto(string Label, int Examples, bool Weak);

/// <summary>What a correction or its undo did. Dataset: the corrections file (JSONL) it went to.</summary>
public sealed record CorrectResult(string Text, string Label, string Dataset, string? ReplacedLabel, IReadOnlyList<NewClassDto> NewClasses,
    int Corrections, string Message);

/// <summary>Which corrections file to undo in: the one of textDocument's workspace folder; else of the first folder.</summary>
public sealed record UndoCorrectionParams(TextDocumentIdentifier? TextDocument = null);

/// <summary>Undone: false when the file held no correction to take back.</summary>
public sealed record UndoCorrectionResult(bool Undone, string? Text, string? Label, string Dataset, int Corrections,
    IReadOnlyList<NewClassDto> NewClasses);

/// <summary>Where to look for texts to label: open documents (uris; none: every open one) and/or a file or folder on disk.</summary>
public sealed record SuggestParams(string[]? Uris = null, string? Path = null, int? Max = null);

/// <summary>A paragraph the head is least sure of: margin is the gap between its two most probable classes.</summary>
public sealed record SuggestionDto(string Uri, Range Range, string Text, PredictionDto Prediction, double Margin);

public sealed record SuggestResult(IReadOnlyList<SuggestionDto> Suggestions);

/// <summary>textDocument/codeAction: the paragraph at range.start gets "Label as ..." actions.</summary>
public sealed record CodeActionParams(TextDocumentIdentifier TextDocument, Range Range);

/// <summary>An action the editor lists; running it runs its (server) command.</summary>
public sealed record CodeAction(string Title, string Kind, LspCommand Command);

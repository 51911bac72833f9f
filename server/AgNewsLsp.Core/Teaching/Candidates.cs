using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Text;

namespace AgNewsLsp.Teaching;

/// <summary>
/// A paragraph of a file on disk that may be suggested for labelling: the file (as given), the paragraph, and the columns
/// (UTF-16 code units from its line's start, as LSP counts them) where it starts on its first line and ends on its last.
/// </summary>
public sealed record CandidateParagraph(string File, TextBlock Block, int StartColumn = 0, int EndColumn = 0)
{
    public string Text => Block.Text;

    /// <summary>Where the paragraph stands, as a correction records it (a file: URI, lines from 0).</summary>
    public CorrectionSource Source => new(new Uri(Path.GetFullPath(File)).AbsoluteUri, Block.StartLine, Block.EndLine);
}

/// <summary>
/// The paragraphs suggestions are chosen among, from files and folders on disk: the one rule that agnews/suggest's
/// <c>path</c>, <c>agnews suggest</c> and <c>agnews teach</c> share.
/// </summary>
public static class Candidates
{
    /// <summary>Paragraphs looked at per request at most: each one is classified (about 100-200 a second on 2 cores).</summary>
    public const int MaxCandidates = 4000;

    /// <summary>A paragraph worth suggesting: enough letters or digits to label, and a text the engine may see.</summary>
    public static bool Labellable(string text, long maxTextBytes) =>
        DocumentLabeler.HasEnoughText(text) && InputLimits.TextProblem(text, "paragraph", maxTextBytes) is null;

    /// <summary>
    /// A file itself, or a folder's text files (<see cref="FileGlobs.DefaultInclude"/>, in the walk's order): each as a path
    /// to read and as the user would name it (the folder as given, then the file's path inside it).
    /// </summary>
    public static IEnumerable<(string Path, string Shown)> Files(string path, CancellationToken cancellationToken = default) =>
        InputFiles.KindOf(path) switch
        {
            FileKind.Directory => FolderFiles.Enumerate(path, new FileGlobs([], []), cancellationToken: cancellationToken)
                .Where(f => f.SkipReason is null).Select(f => (f.FullPath, Path.Join(path, f.RelativePath))),
            null => throw new FileNotFoundException($"No such file or folder: {path}", path),
            _ => [(path, path)],
        };

    /// <summary>
    /// The labellable paragraphs of files and folders, in order, at most <see cref="MaxCandidates"/>. A file in a folder
    /// that is not text (binary, too large) is passed over; a file named itself must be readable.
    /// </summary>
    public static async Task<IReadOnlyList<CandidateParagraph>> FromDiskAsync(IReadOnlyList<string> paths, long maxTextBytes,
        CancellationToken cancellationToken = default)
    {
        var result = new List<CandidateParagraph>();
        foreach (var path in paths)
        {
            bool folder = InputFiles.KindOf(path) == FileKind.Directory;
            foreach (var (file, shown) in Files(path, cancellationToken))
            {
                string text;
                try
                {
                    text = await InputFiles.ReadTextAsync(file, maxTextBytes, cancellationToken);
                }
                catch (InvalidDataException) when (folder)
                {
                    continue;
                }
                if (InputLimits.TextProblem(text, file, maxTextBytes) is { } problem)
                {
                    if (folder) continue;
                    throw new InvalidDataException(problem + "; only text files can be labelled.");
                }
                foreach (var block in Paragraphs.Split(text).Where(b => Labellable(b.Text, maxTextBytes)))
                {
                    result.Add(new CandidateParagraph(shown, block, Column(text, block.Start), Column(text, block.End)));
                    if (result.Count >= MaxCandidates) return result;
                }
            }
        }
        return result;
    }

    /// <summary>An offset's column: how far it lies after the line break before it.</summary>
    private static int Column(string text, int offset) => offset - (text.AsSpan(0, offset).LastIndexOfAny('\n', '\r') + 1);
}

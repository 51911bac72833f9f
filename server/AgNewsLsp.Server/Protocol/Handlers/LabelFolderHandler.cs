using AgNewsLsp.IO;
using AgNewsLsp.Engine;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// agnews/labelFolder: labels the files of a folder into a CSV or JSONL file, with work-done progress and cancellation
/// (a cancelled run leaves no output file). The folder and the output must lie in a workspace folder of the session,
/// the rule agnews/labelDocument applies to files that are not open: a client cannot make the server read or write
/// outside what the user opened.
/// </summary>
public sealed class LabelFolderHandler : RequestHandler<LabelFolderParams, LabelFolderResult>
{
    public override string Method => "agnews/labelFolder";

    /// <summary>Also a workspace/executeCommand command.</summary>
    protected override bool IsCommand => true;

    public override async Task<LabelFolderResult> HandleAsync(LabelFolderParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Folder)) throw ProtocolErrors.InvalidParams($"{Method}: folder is required");
        if (string.IsNullOrWhiteSpace(request.Output))
            throw ProtocolErrors.InvalidParams($"{Method}: output (the file to write) is required");
        var (unit, globs, format) = ParamsChecked(() => (LabelDocumentHandler.ParseUnit(request.Unit),
            new FileGlobs(request.Include, request.Exclude), FolderOutputFormats.Parse(request.Format, request.Output)));

        var folder = LocalPath(request.Folder, null, "folder");
        if (InputFiles.KindOf(folder) != FileKind.Directory) throw ProtocolErrors.BadInput($"folder not found: {folder}");
        if (!context.Workspace.ContainsFolder(folder))
            throw ProtocolErrors.BadInput(
                $"folder {folder} is not inside a workspace folder of this session; declare it (workspaceFolders)");
        var output = LocalPath(request.Output, folder, "output");
        OutputTarget target;
        try
        {
            target = OutputPath.Resolve(output); // refused before the engine is involved
        }
        catch (OutputPathRefusedException e)
        {
            throw ProtocolErrors.BadInput(e.Message);
        }
        // Where the write lands counts too: a link in the workspace (even one to nothing yet) may name a file outside it.
        if (!context.Workspace.Contains(output) || !context.Workspace.Contains(target.Path))
            throw ProtocolErrors.BadInput(
                $"output {output} is not inside a workspace folder of this session (or its folder does not exist)");

        var labelRequest = new FolderLabelRequest(folder, globs, unit) { MaxFileBytes = context.Options.MaxTextBytes };
        var engine = await context.GetEngineAsync(cancellationToken);
        var summary = await context.Progress.RunAsync("Labelling a folder", request.WorkDoneToken, cancellationToken,
            (progress, token) =>
                FolderLabeler.LabelToFileAsync(engine, labelRequest, output, w => FolderRowWriters.For(format, w), progress, token),
            s => $"{s.FilesLabeled} files labelled, {s.Skipped} skipped");
        return LabelFolderResult.From(summary, format);
    }

    /// <summary>A file: URI or a path; a relative path is taken in <paramref name="relativeTo"/> (none: refused).</summary>
    private string LocalPath(string uriOrPath, string? relativeTo, string what)
    {
        try
        {
            if (uriOrPath.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
                return Uri.TryCreate(uriOrPath, UriKind.Absolute, out var uri) && uri.IsFile
                    ? Path.GetFullPath(uri.LocalPath)
                    : throw ProtocolErrors.BadInput($"{what} {uriOrPath} is not a valid file: URI");
            if (Path.IsPathRooted(uriOrPath)) return Path.GetFullPath(uriOrPath);
            if (relativeTo is not null) return Path.GetFullPath(Path.Combine(relativeTo, uriOrPath));
            if (Uri.TryCreate(uriOrPath, UriKind.Absolute, out _)) throw ProtocolErrors.BadInput($"{what} {uriOrPath} is not a file: URI");
            throw ProtocolErrors.BadInput($"{what} '{uriOrPath}' is relative; give an absolute path or a file: URI");
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw ProtocolErrors.BadInput($"invalid {what} '{uriOrPath}': {ex.Message}");
        }
    }
}

using Microsoft.Extensions.FileSystemGlobbing;

namespace AgNewsLsp.IO;

/// <summary>
/// Include and exclude globs over paths relative to a folder ('/' between segments): <c>*</c> within a segment,
/// <c>**</c> across segments, <c>?</c>, and brace alternatives <c>{txt,md}</c>. Matching is Microsoft's
/// FileSystemGlobbing (case-sensitive, as the file system here is); it has no braces, so they are expanded first.
/// </summary>
/// <remarks>
/// Only names already found inside the folder are matched, so a pattern such as <c>../x</c> can never reach out of it.
/// </remarks>
public sealed class FileGlobs
{
    /// <summary>What a folder's labelling reads when no include glob is given: its text and Markdown files.</summary>
    public const string DefaultInclude = "**/*.{txt,md}";

    /// <summary>Bounds on what a client may send: a glob list is a request's parameter, and braces multiply.</summary>
    public const int MaxPatterns = 64, MaxPatternChars = 1024, MaxExpansions = 256;

    private readonly Matcher matcher = new(StringComparison.Ordinal);

    public IReadOnlyList<string> Include { get; }
    public IReadOnlyList<string> Exclude { get; }

    /// <summary>Throws <see cref="ArgumentException"/> for a glob that is empty, absolute, too long, or has unbalanced braces.</summary>
    public FileGlobs(IReadOnlyList<string>? include = null, IReadOnlyList<string>? exclude = null)
    {
        Include = include is { Count: > 0 } ? include : [DefaultInclude];
        Exclude = exclude ?? [];
        if (Include.Count + Exclude.Count > MaxPatterns)
            throw new ArgumentException($"at most {MaxPatterns} include and exclude globs, not {Include.Count + Exclude.Count}");
        foreach (var pattern in Include.SelectMany(p => Expand(p, "include"))) matcher.AddInclude(pattern);
        foreach (var pattern in Exclude.SelectMany(p => Expand(p, "exclude"))) matcher.AddExclude(pattern);
    }

    /// <summary>True when a path relative to the folder is included and not excluded.</summary>
    public bool Matches(string relativePath) => matcher.Match(relativePath).HasMatches;

    /// <summary>The brace alternatives of one glob, spelled out: "a/*.{txt,md}" is "a/*.txt" and "a/*.md".</summary>
    public static IReadOnlyList<string> Expand(string glob, string what = "glob")
    {
        if (string.IsNullOrWhiteSpace(glob)) throw new ArgumentException($"an {what} glob is empty");
        if (glob.Length > MaxPatternChars) throw new ArgumentException($"an {what} glob is longer than {MaxPatternChars} characters");
        if (glob.StartsWith('/') || Path.IsPathRooted(glob))
            throw new ArgumentException($"{what} glob '{glob}' is absolute; globs are relative to the folder");
        if (glob.Contains('\0')) throw new ArgumentException($"{what} glob contains a NUL character");
        var results = new List<string>();
        ExpandInto(glob.Replace('\\', '/'), results, what, glob);
        return results;
    }

    private static void ExpandInto(string glob, List<string> results, string what, string original)
    {
        var open = glob.IndexOf('{');
        if (open < 0)
        {
            if (glob.Contains('}')) throw new ArgumentException($"{what} glob '{original}' has a '}}' without its '{{'");
            if (results.Count >= MaxExpansions)
                throw new ArgumentException($"{what} glob '{original}' expands to more than {MaxExpansions} patterns");
            results.Add(glob);
            return;
        }
        // The alternatives of the first brace group, split at its top-level commas (a group may nest another).
        var alternatives = new List<string>();
        int depth = 0, start = open + 1, close = -1;
        for (var i = open + 1; i < glob.Length && close < 0; i++)
        {
            switch (glob[i])
            {
                case '{': depth++; break;
                case '}' when depth > 0: depth--; break;
                case '}': alternatives.Add(glob[start..i]); close = i; break;
                case ',' when depth == 0: alternatives.Add(glob[start..i]); start = i + 1; break;
            }
        }
        if (close < 0) throw new ArgumentException($"{what} glob '{original}' has a '{{' without its '}}'");
        var (before, after) = (glob[..open], glob[(close + 1)..]);
        foreach (var alternative in alternatives)
            ExpandInto(before + alternative + after, results, what, original);
    }
}

using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;
using Microsoft.Extensions.Logging;

namespace AgNewsLsp.Server.Options;

/// <summary>Where a setting acts, which decides who may set it and what a change to it costs.</summary>
public enum OptionScope
{
    /// <summary>Builds the engine (model, head, cache, tokens, precision, threads): the command line's global options; a
    /// session whose values differ gets an engine of its own, and an editor restarts the server to change them.</summary>
    Engine,
    /// <summary>One session's behaviour; read per request, so a change needs no new engine.</summary>
    Session,
    /// <summary>The process: transport and logging; the command line and environment of <c>serve</c> only.</summary>
    Host,
}

/// <summary>Declares a <see cref="ServerOptions"/> property a setting; see <see cref="OptionTable"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string help) : Attribute
{
    public string Help { get; } = help;
    public OptionScope Scope { get; init; } = OptionScope.Session;
    /// <summary>The value's placeholder in usage text; empty for a flag.</summary>
    public string Hint { get; init; } = "X";
    /// <summary>Other spellings on the command line (short forms such as --model).</summary>
    public string[] Aliases { get; init; } = [];
    /// <summary>A client may set it in initializationOptions.</summary>
    public bool FromClient { get; init; }
    /// <summary>Compared as a full path when deciding whether two sessions share an engine.</summary>
    public bool IsPath { get; init; }
    public long Min { get; init; } = int.MinValue;
    public long Max { get; init; } = int.MaxValue;
    /// <summary>The upper bound is the machine's core count.</summary>
    public bool MaxIsCoreCount { get; init; }
    /// <summary>A change makes the labels shown in the document (CodeLens) differ: clients are asked to fetch them again.</summary>
    public bool ChangesLabelsInPlace { get; init; }
}

/// <summary>One setting: its name (the one spelling, camelCase as on the wire), its flag and how to parse it.</summary>
public sealed record OptionRow(string Name, PropertyInfo Property, OptionAttribute Spec)
{
    /// <summary>--max-tokens: the name in kebab case. Any spelling that folds to the same letters is accepted (--maxTokens).</summary>
    public string Flag => "--" + string.Concat(Name.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));

    public string EnvironmentVariable => "AGNEWS_" + Name.ToUpperInvariant();

    public bool IsFlag => Spec.Hint.Length == 0;

    public long Max => Spec.MaxIsCoreCount ? Environment.ProcessorCount : Spec.Max;

    /// <summary>
    /// The typed value of <paramref name="text"/>; <see cref="ArgumentException"/> naming the setting when it does not fit.
    /// </summary>
    public object? Parse(string text)
    {
        var type = Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
        var value = text.Trim();
        if (type == typeof(string)) return text;
        if (type == typeof(bool))
            return bool.TryParse(value, out var b) ? b : throw new ArgumentException($"{Name} must be true or false, not '{text}'");
        if (type == typeof(int))
            return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= Spec.Min && n <= Max
                ? n : throw new ArgumentException(Max >= int.MaxValue
                    ? $"{Name} must be a whole number of at least {Spec.Min}, not '{text}'"
                    : $"{Name} must be a whole number from {Spec.Min} to {Max}, not '{text}'");
        if (type == typeof(Pooling)) return Poolings.Parse(value);
        if (type == typeof(HeadKind)) return HeadKinds.Parse(value) ?? HeadKinds.Default;
        if (type == typeof(Precision)) return Precisions.Parse(value);
        if (type == typeof(TextUnit)) return TextUnitNames.Parse(value, Name, TextUnit.Paragraph, TextUnit.Line); // what a hover labels
        if (type == typeof(LogLevel))
            return Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level)
                ? level : throw new ArgumentException($"{Name} must be one of Trace, Debug, Information, Warning, Error, not '{text}'");
        throw new InvalidOperationException($"no parser for {type.Name} ({Name})");
    }

    /// <summary>The value as the engine key compares it.</summary>
    public string KeyOf(ServerOptions options) => Property.GetValue(options) switch
    {
        null => "",
        string s when Spec.IsPath && s.Length > 0 => Path.GetFullPath(s),
        var v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// Everything derived from the declarations in <see cref="ServerOptions"/>: parsing of the command line, the
/// environment and initializationOptions, the usage text, and the engine key (which settings need an engine of
/// their own). Adding a setting means adding one property there.
/// </summary>
public static class OptionTable
{
    public static IReadOnlyList<OptionRow> Rows { get; } = typeof(ServerOptions).GetProperties()
        .Select(p => (p, spec: p.GetCustomAttribute<OptionAttribute>()))
        .Where(x => x.spec is not null)
        .Select(x => new OptionRow(char.ToLowerInvariant(x.p.Name[0]) + x.p.Name[1..], x.p, x.spec!))
        .ToArray();

    private static string Fold(string name) => new(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    /// <summary>The row a spelling names (--max-tokens, --maxTokens, maxtokens, an alias), among <paramref name="scopes"/>.</summary>
    public static OptionRow? Find(string spelling, params OptionScope[] scopes)
    {
        var folded = Fold(spelling);
        return Rows.FirstOrDefault(r => scopes.Contains(r.Spec.Scope)
            && (Fold(r.Name) == folded || r.Spec.Aliases.Any(a => Fold(a) == folded)));
    }

    /// <summary>A copy of <paramref name="options"/> with one setting parsed from text.</summary>
    public static ServerOptions With(ServerOptions options, OptionRow row, string text)
    {
        var copy = options with { };
        row.Property.SetValue(copy, row.Parse(text));
        return copy;
    }

    /// <summary>
    /// Environment variables AGNEWS_&lt;NAME&gt; (any case) of <paramref name="scopes"/>, or of every scope when none is named.
    /// </summary>
    public static ServerOptions FromEnvironment(ServerOptions options, IReadOnlyDictionary<string, string> environment,
        params OptionScope[] scopes)
    {
        foreach (var row in Rows.Where(r => scopes.Length == 0 || scopes.Contains(r.Spec.Scope)))
            foreach (var (key, value) in environment)
                if (string.Equals(key, row.EnvironmentVariable, StringComparison.OrdinalIgnoreCase))
                    options = With(options, row, value);
        return options;
    }

    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => e.Key is string k && k.StartsWith("AGNEWS_", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(e => (string)e.Key, e => e.Value as string ?? "");

    /// <summary>
    /// Takes the options of <paramref name="scopes"/> out of <paramref name="args"/>, wherever they stand
    /// (--name value, --name=value, a bare flag); the rest is returned in order. Throws ArgumentException.
    /// </summary>
    public static (ServerOptions Options, string[] Remaining) TakeFromArguments(ServerOptions options, IReadOnlyList<string> args,
        params OptionScope[] scopes)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--") { rest.AddRange(args.Skip(i)); break; }
            if (!arg.StartsWith("--", StringComparison.Ordinal)) { rest.Add(arg); continue; }
            var eq = arg.IndexOf('=');
            var name = eq >= 0 ? arg[2..eq] : arg[2..];
            if (Find(name, scopes) is not { } row) { rest.Add(arg); continue; }
            string value;
            if (eq >= 0) value = arg[(eq + 1)..];
            else if (row.IsFlag) value = "true";
            else if (i + 1 < args.Count) value = args[++i];
            else throw new ArgumentException($"{row.Flag} needs a value");
            try
            {
                options = With(options, row, value);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{row.Flag}: {e.Message}", e);
            }
        }
        return (options, rest.ToArray());
    }

    /// <summary>
    /// initializationOptions override the host's: settings a client may set (<see cref="OptionAttribute.FromClient"/>)
    /// by their names; other keys are not ours and are ignored. A value that does not fit is an ArgumentException
    /// (the session answers it with InvalidParams).
    /// </summary>
    public static ServerOptions WithInitializationOptions(ServerOptions options, JsonElement? initializationOptions)
    {
        if (initializationOptions is not { ValueKind: JsonValueKind.Object } init) return options;
        foreach (var property in init.EnumerateObject())
        {
            var row = Rows.FirstOrDefault(r => r.Spec.FromClient
                && string.Equals(r.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (row is null) continue;
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => null,
                _ => throw new ArgumentException($"{property.Name} must be a string, number or boolean"),
            };
            if (text is not null) options = With(options, row, text);
        }
        return options;
    }

    /// <summary>
    /// Settings a client pushes after initialize (workspace/didChangeConfiguration), read as initializationOptions
    /// are. Those of engine scope would need another engine, so they keep their value and are returned in
    /// <c>NeedRestart</c> when the client asked for another one. A value that does not fit is an ArgumentException,
    /// and then nothing changes.
    /// </summary>
    public static (ServerOptions Options, IReadOnlyList<string> NeedRestart) WithChangedSettings(ServerOptions current,
        JsonElement settings)
    {
        var wanted = WithInitializationOptions(current, settings);
        var needRestart = Rows.Where(r => r.Spec.Scope == OptionScope.Engine && r.KeyOf(wanted) != r.KeyOf(current)).ToList();
        if (needRestart.Count == 0) return (wanted, []);
        var kept = wanted with { };
        foreach (var row in needRestart) row.Property.SetValue(kept, row.Property.GetValue(current));
        return (kept, needRestart.Select(r => r.Name).ToList());
    }

    /// <summary>The names of the settings whose values differ between two option sets.</summary>
    public static IReadOnlyList<OptionRow> Changed(ServerOptions before, ServerOptions after) =>
        Rows.Where(r => r.KeyOf(before) != r.KeyOf(after)).ToList();

    /// <summary>
    /// Sessions with equal keys share an engine: the engine-scoped settings, paths made absolute. A change to any
    /// other setting never loads a model again.
    /// </summary>
    public static string EngineKey(ServerOptions options) =>
        string.Join('\u001f', Rows.Where(r => r.Spec.Scope == OptionScope.Engine).Select(r => r.KeyOf(options)));

    /// <summary>A setting's default as usage text shows it; empty for a flag or a setting without one.</summary>
    public static string DefaultText(OptionRow row) => row.Property.GetValue(new ServerOptions()) switch
    {
        null => "",
        bool when row.IsFlag => "",
        bool b => b ? "true" : "false",
        Pooling p => p.Name(),
        HeadKind k => k.Name(),
        TextUnit u => u.Name(),
        var v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Usage lines for the settings of <paramref name="scopes"/>: flag, placeholder, help, default.</summary>
    public static string Usage(params OptionScope[] scopes)
    {
        var lines = new StringBuilder();
        foreach (var row in Rows.Where(r => scopes.Contains(r.Spec.Scope)))
        {
            var flag = (row.Flag + (row.IsFlag ? "" : " " + row.Spec.Hint)
                + (row.Spec.Aliases.Length > 0 ? $" (or --{string.Join(", --", row.Spec.Aliases)})" : ""));
            var shown = DefaultText(row);
            lines.Append("  ").Append(flag.PadRight(36)).Append(' ').Append(row.Spec.Help);
            if (shown.Length > 0) lines.Append($" (default {shown})");
            lines.AppendLine();
        }
        return lines.ToString().TrimEnd();
    }
}

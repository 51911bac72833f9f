namespace AgNewsLsp.Server.Cli;

/// <summary>Thrown for a command line that cannot be understood; exit code 2 with usage.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small POSIX-style parser: positionals, "--name value", "--name=value" and boolean "--flag".
/// Options are declared per command so a typo is an error, not silently ignored.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    public IReadOnlyList<string> Positionals { get; }

    private CliArguments(List<string> positionals) => Positionals = positionals;

    public static CliArguments Parse(IEnumerable<string> args, ISet<string> valueOptions, ISet<string> flagOptions)
    {
        var positionals = new List<string>();
        var result = new CliArguments(positionals);
        using var e = args.GetEnumerator();
        bool onlyPositionals = false;
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (onlyPositionals || !arg.StartsWith("--", StringComparison.Ordinal) || arg == "-")
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                onlyPositionals = true;
                continue;
            }
            var name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (flagOptions.Contains(name))
            {
                if (value is not null) throw new UsageException($"--{name} takes no value.");
                result.Set(name, "true");
            }
            else if (valueOptions.Contains(name))
            {
                if (value is null)
                {
                    if (!e.MoveNext()) throw new UsageException($"--{name} needs a value.");
                    value = e.Current;
                }
                result.Set(name, value);
            }
            else throw new UsageException($"Unknown option --{name}.");
        }
        return result;
    }

    private void Set(string name, string value)
    {
        if (!_options.TryGetValue(name, out var values)) _options[name] = values = [];
        values.Add(value);
    }

    public bool Flag(string name) => _options.ContainsKey(name);

    /// <summary>The option's value; when it was given more than once, the last one.</summary>
    public string? Value(string name) => _options.GetValueOrDefault(name)?[^1];

    /// <summary>Every value the option was given, in order (for options that may repeat, such as --data).</summary>
    public IReadOnlyList<string> Values(string name) => _options.GetValueOrDefault(name) ?? [];

    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Value(name);
        if (raw is null) return null;
        if (!int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new UsageException($"--{name} must be a whole number{(min > int.MinValue ? $" >= {min}" : "")}{(max < int.MaxValue ? $" and <= {max}" : "")}, not '{raw}'.");
        return v;
    }

    public double? Double(string name)
    {
        var raw = Value(name);
        if (raw is null) return null;
        return double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"--{name} must be a number, not '{raw}'.");
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Server.Cli;

/// <summary>Thrown for a command line that cannot be understood; exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The commands, their options and arguments, declared once for System.CommandLine: it parses, writes each command's
/// --help, suggests the nearest command or option for a typo, expands @response files and answers the shells'
/// completion scripts (<see cref="CompletionScripts"/>). The engine options are the option table's engine rows, one
/// recursive option each, so they stand before or after the command.
/// </summary>
internal static class CommandTree
{
    /// <summary>Options every command but serve and completion has.</summary>
    private static IEnumerable<Option> Output() =>
    [
        new Option<bool>("--json") { Description = "machine-readable output on stdout (the language server's JSON shapes)" },
        new Option<bool>("--quiet") { Description = "no progress on stderr" },
    ];

    private static Option<string> One(string name, string hint, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, HelpName = hint };

    /// <summary>An option whose value is one of <paramref name="choices"/>: listed in help and offered by completion.</summary>
    private static Option<string> OneOf(string name, IReadOnlyList<string> choices, string description)
    {
        var option = One(name, Choices(choices), description);
        option.CompletionSources.Add(choices.ToArray());
        return option;
    }

    /// <summary>An option that may be given several times (--data a --data b); each occurrence takes one value.</summary>
    private static Option<string[]> Many(string name, string hint, string description) =>
        new(name) { Description = description, HelpName = hint, Arity = ArgumentArity.OneOrMore };

    private static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    private static Option<string> Dataset(string what) =>
        One("--dataset", "FILE", $"{what} (default: the nearest {AgNewsLsp.Teaching.CorrectionsFile.DefaultRelativePath} in an input's " +
            $"folder or above, within its repository; else ./{AgNewsLsp.Teaching.CorrectionsFile.DefaultRelativePath})");

    private static Option<bool> NoDataset() => Flag("--no-dataset", "the head's labels alone: read no dataset of yours");

    private static Argument<string[]> Rest(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.ZeroOrMore };

    private static Command Command(string name, string description, IEnumerable<Symbol> symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols.Concat(Output()))
        {
            if (symbol is Option option) command.Options.Add(option);
            else if (symbol is Argument argument) command.Arguments.Add(argument);
        }
        return command;
    }

    private static string Choices(IEnumerable<string> names) => string.Join('|', names);

    /// <summary>The engine option of each engine row of the option table: its flag, its aliases, its help and default.</summary>
    internal static IReadOnlyList<(OptionRow Row, Option<string> Option)> EngineOptions { get; } = OptionTable.Rows
        .Where(r => r.Spec.Scope == OptionScope.Engine)
        .Select(r => (r, new Option<string>(r.Flag, [.. r.Spec.Aliases.Select(a => "--" + a)])
        {
            Description = r.Spec.Help + (OptionTable.DefaultText(r) is { Length: > 0 } shown ? $" (default {shown})" : ""),
            HelpName = r.IsFlag ? null : r.Spec.Hint,
            Arity = r.IsFlag ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            Recursive = true,
        }))
        .ToArray();

    public static RootCommand Build(Func<string, CommandInput, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("""
            News-topic labels (World, Sports, Business, Sci/Tech, or the classes your data names) from a frozen BERT and a
            small trained head. Results go to stdout (text, or --json), progress and errors to stderr. Exit codes: 0 ok,
            1 failed (bad input, a missing file), 2 usage, 130 cancelled. Engine options stand before or after the command
            (also AGNEWS_<NAME>); @FILE reads more arguments from FILE, one per line.
            """);
        foreach (var (_, option) in EngineOptions) root.Options.Add(option);

        var commands = new List<Command>
        {
            Command("classify", "Label a text (- reads standard input).",
                [Rest("TEXT", "the text: the words given, joined by spaces; - reads standard input")]),
            Command("label", $"""
                Label files, or each paragraph of them; with --recursive a folder's files (--include default:
                {FileGlobs.DefaultInclude}) into a CSV or JSONL file (written whole or not at all), else onto stdout. A binary,
                too large or too short file is skipped with its reason. --shard splits a folder across machines; --merge joins
                the parts, refusing parts of another model, head or job and a missing or repeated shard.
                """,
            [
                Rest("FILE", "files to label; with --recursive, one folder"),
                Flag("--paragraphs", "label each paragraph too"),
                Flag("--recursive", "label the files of a folder (and its subfolders)"),
                Many("--include", "GLOB", "with --recursive: files to label (may repeat)"),
                Many("--exclude", "GLOB", "with --recursive: files to leave out (may repeat)"),
                OneOf("--format", SettingNames.All<FolderOutputFormat>(),
                    "with --recursive: the rows' format (else from --out's extension)"),
                One("--out", "FILE", "with --recursive: write the rows here, atomically; with --merge: the joined file"),
                One("--shard", "I/N", "with --recursive: only shard I (from 0) of N, the files whose relative path hashes to it, into --out " +
                    "and its manifest FILE.shard.json (docs/scale-out.md)"),
                One("--shards", "N", "as --shard, I from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm)"),
                Flag("--merge", "join the parts (FILE: the parts) of a sharded label or embed run into --out, as one run writes it"),
                Dataset("your labels, shown as yours"),
                NoDataset(),
            ]),
            Command("suggest", """
                The paragraphs of files or folders (their .txt and .md files) the labeler is least sure of (the smallest
                margin between its two likeliest classes), most useful to label first: near-duplicates once, paragraphs
                you labelled left out.
                """,
            [
                Rest("FILE", "files or folders"),
                Dataset("your labels, which the labeler has learnt from"),
                NoDataset(),
                One("--max", "N", "at most N paragraphs (default 20)"),
            ]),
            Command("teach", """
                Label paragraphs one at a time on a terminal, the least sure first: the guess and its probabilities, then
                one key: 1-9 a class, Enter accepts the guess, n a new class (its name, then Enter), s skips, u undoes,
                q quits. Each answer is written to the dataset at once and taught: later guesses follow it.
                """,
            [
                Rest("FILE", "files or folders"),
                Dataset("where your labels go (JSONL, one row per paragraph, written as you answer)"),
                One("--out", "HEAD.json",
                    $"on quit, train a head (kind {HeadKinds.Default.Name()}) on your labels (and --data) and save it here"),
                Many("--data", "FILE|DIR", "with --out: labelled data the head learns from besides your labels (may repeat)"),
            ]),
            Command("train", $"""
                Train a head on labelled data and save it atomically. A folder means its train* files; a text in several
                files counts once. Default head kind: {HeadKinds.Default.Name()} (seconds when warm); hybrid+layers also
                trains copies of the encoder's top layers: more accurate, tens of minutes on a laptop. The head learns the
                data's classes: its label names, or the names in a classes.txt beside it; plain numbers mean AG News.
                """,
            [
                Rest("DATA", "data files or folders (as --data)"),
                Many("--data", "FILE|DIR", "labelled data: CSV, JSONL or parquet files, or folders (may repeat)"),
                OneOf("--head-kind", HeadKinds.Names, $"what the head computes (default {HeadKinds.Default.Name()})"),
                OneOf("--pooling", SettingNames.All<Pooling>(), $"how token vectors become one (default {Poolings.Default.Name()})"),
                One("--max-epochs", "N", $"linear, mlp: AdamW epochs (default {TrainingSettings.DefaultMaxEpochs}); hybrid+layers: " +
                    $"its layers' epochs (default {TrainingSettings.DefaultTopLayerEpochs}); refused for hybrid", "--epochs"),
                One("--max-passes", "N", $"hybrid, hybrid+layers: the linear solver's passes (default {TrainingSettings.DefaultMaxPasses}); " +
                    "refused for linear and mlp"),
                One("--seed", "N", $"seed of the validation split and the training (default {TrainingSettings.DefaultSeed})"),
                One("--validation-fraction", "F",
                    $"share of rows held out to validate (default {TrainingSettings.DefaultValidationFraction})"),
                One("--limit", "N", "use only the first N rows"),
                Flag("--skip-bad-rows", "skip malformed rows (counted) instead of failing"),
                One("--out", "HEAD.json", "save the head here (default: the engine's head path)"),
            ]),
            Command("evaluate", "Score the head on labelled data: accuracy, macro-F1, log-loss, ECE, per-class metrics, confusions.",
            [
                Rest("DATA", "data files or folders (as --data)"),
                Many("--data", "FILE|DIR", "labelled data files or folders (may repeat)"),
                One("--limit", "N", "use only the first N rows"),
                Flag("--skip-bad-rows", "skip malformed rows (counted) instead of failing"),
            ]),
            Command("embed", "The encoder's vectors for a text file (a text per line) or labelled data, for other tools.",
            [
                Rest("INPUT", "a text file (a text per line) or labelled data"),
                One("--out", "FILE.npy|FILE.parquet", "where the vectors go (.npy also writes FILE.ids.csv)"),
                OneOf("--pooling", SettingNames.All<Pooling>(), "how token vectors become one (default: the head's, else the engine's)"),
                Flag("--lines", "read any file as a text per line"),
                One("--limit", "N", "embed only the first N texts"),
                Flag("--skip-bad-rows", "skip malformed rows instead of failing"),
                One("--shard", "I/N", "only the rows whose id (line or row number) hashes to shard I (from 0) of N, with a manifest"),
                One("--shards", "N", "as --shard, I from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm)"),
            ]),
        };
        var model = new Command("model", "The model and head in use.");
        model.Subcommands.Add(Command("info", "Describe the model, its head and the native runtime.", []));
        commands.Add(model);

        // serve is run before this tree is built (the language server owns stdout); listed here for help and typos.
        var serve = new Command("serve", "The language server (JSON-RPC, LSP framing): agnews serve [--stdio | --port N] " +
                                         "[options]; agnews serve --help lists them.") { TreatUnmatchedTokensAsErrors = false };
        serve.Arguments.Add(Rest("OPTIONS", "the server's options"));
        commands.Add(serve);

        var shell = new Argument<string>("SHELL") { Description = "bash, zsh, fish or pwsh" };
        shell.AcceptOnlyFromAmong([.. CompletionScripts.Shells]);
        var completion = new Command("completion", "Print a shell's completion script (README: Shell completion).");
        completion.Arguments.Add(shell);
        commands.Add(completion);

        foreach (var command in Leaves(commands))
        {
            var name = string.Join(' ', command.Parents.OfType<Command>().Where(p => p is not RootCommand).Select(p => p.Name)
                .Append(command.Name));
            command.SetAction((result, ct) => run(name, new CommandInput(result, command), ct));
        }
        foreach (var command in commands) root.Subcommands.Add(command);
        root.SetAction((result, _) => throw new UsageException("No command given."));
        return root;
    }

    /// <summary>
    /// The problems of a parse the library does not see: a word that looks like an option where a command takes free
    /// words (TEXT..., FILE...), which it would read as one of them. Before a bare "--" such words are refused.
    /// </summary>
    public static IEnumerable<string> UnknownOptions(ParseResult result)
    {
        var beforeDoubleDash = result.Tokens.TakeWhile(t => t.Type != TokenType.DoubleDash).ToHashSet(ReferenceEqualityComparer.Instance);
        // Only the words the command's own arguments took: an option's value ("--shard -1/3") is the option's to judge.
        foreach (var token in result.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens))
            if (beforeDoubleDash.Contains(token) && token.Value.Length > 1 && token.Value[0] == '-'
                && !double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                yield return token.Value;
    }

    /// <summary>
    /// The command or option names of the command reached that are nearest to a mistyped word: within two edits
    /// (a swap of two letters is one), else none. "trian" gives "train", "--max-epoch" gives "--max-epochs".
    /// </summary>
    public static IReadOnlyList<string> Nearest(ParseResult result, string word)
    {
        var command = result.CommandResult.Command;
        var names = command.Subcommands.Select(c => c.Name)
            .Concat(command.Options.Concat(result.RootCommandResult.Command.Options.Where(o => o.Recursive))
                .SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Where(n => n.Length > 2 || !word.StartsWith("--", StringComparison.Ordinal))
            .Distinct().ToList();
        var bare = word.Split('=')[0];
        var scored = names.Select(n => (Name: n, Distance: Edits(bare, n))).Where(x => x.Distance <= 2).ToList();
        return scored.Count == 0 ? [] : scored.Where(x => x.Distance == scored.Min(y => y.Distance)).Select(x => x.Name).ToList();
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours, one each.</summary>
    private static int Edits(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    private static IEnumerable<Command> Leaves(IEnumerable<Command> commands) =>
        commands.SelectMany(c => c.Subcommands.Count == 0 ? [c] : Leaves(c.Subcommands));

    /// <summary>
    /// The engine options' spellings the option table accepts and the tree does not spell (--maxTokens, --MAX_TOKENS: any
    /// spelling that folds to the same letters) rewritten to the row's flag, up to a bare "--".
    /// </summary>
    public static string[] WithEngineSpellings(IReadOnlyList<string> args)
    {
        var result = new string[args.Count];
        bool options = true;
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            result[i] = arg;
            if (arg == "--") options = false;
            if (!options || !arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2) continue;
            var eq = arg.IndexOf('=');
            var name = eq >= 0 ? arg[2..eq] : arg[2..];
            if (OptionTable.Find(name, OptionScope.Engine) is { } row && row.Spec.Aliases.All(a => a != name))
                result[i] = row.Flag + (eq >= 0 ? arg[eq..] : "");
        }
        return result;
    }

    /// <summary>
    /// The engine settings of a parse: the environment's AGNEWS_* first, then each engine option given, parsed and
    /// checked by its row (a value that does not fit is a <see cref="UsageException"/>).
    /// </summary>
    public static ServerOptions EngineOptionsOf(ParseResult result, IReadOnlyDictionary<string, string> environment)
    {
        var options = OptionTable.FromEnvironment(new ServerOptions(), environment, OptionScope.Engine);
        foreach (var (row, option) in EngineOptions)
        {
            if (result.GetResult(option) is not { Implicit: false } given) continue;
            var value = given.Tokens.Count == 0 ? "true" : result.GetValue(option)!;
            try
            {
                options = OptionTable.With(options, row, value);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"{row.Flag}: {e.Message}");
            }
        }
        return options;
    }
}

/// <summary>One parsed command's options and arguments, by name (without the leading dashes).</summary>
public sealed class CommandInput
{
    private readonly ParseResult _result;
    private readonly Dictionary<string, Option> _options;
    private readonly Argument<string[]>? _rest;

    internal CommandInput(ParseResult result, Command command)
    {
        _result = result;
        _options = command.Options.ToDictionary(o => o.Name.TrimStart('-'));
        _rest = command.Arguments.OfType<Argument<string[]>>().FirstOrDefault();
    }

    public IReadOnlyList<string> Positionals => _rest is null ? [] : _result.GetValue(_rest) ?? [];

    /// <summary>The first argument of a command that takes one (completion's shell).</summary>
    public string? Argument =>
        _result.CommandResult.Command.Arguments.OfType<Argument<string>>().FirstOrDefault() is { } a ? _result.GetValue(a) : null;

    public bool Flag(string name) => _options.GetValueOrDefault(name) is Option<bool> flag && _result.GetValue(flag);

    /// <summary>Whether the option was on the command line at all.</summary>
    public bool Given(string name) => _options.GetValueOrDefault(name) is { } option && _result.GetResult(option) is { Implicit: false };

    /// <summary>The option's value; when it was given more than once, the last one.</summary>
    public string? Value(string name) => _options.GetValueOrDefault(name) switch
    {
        Option<string> one => _result.GetValue(one),
        Option<string[]> many => _result.GetValue(many) is [.., var last] ? last : null,
        _ => null,
    };

    /// <summary>Every value the option was given, in order (for options that may repeat, such as --data).</summary>
    public IReadOnlyList<string> Values(string name) =>
        _options.GetValueOrDefault(name) is Option<string[]> many ? _result.GetValue(many) ?? [] : Value(name) is { } one ? [one] : [];

    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Value(name);
        if (raw is null) return null;
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new UsageException($"--{name} must be a whole number{(min > int.MinValue ? $" >= {min}" : "")}" +
                                     $"{(max < int.MaxValue ? $" and <= {max}" : "")}, not '{raw}'.");
        return v;
    }

    public double? Double(string name)
    {
        var raw = Value(name);
        if (raw is null) return null;
        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"--{name} must be a number, not '{raw}'.");
    }
}

/// <summary>
/// The completion scripts of <c>agnews completion SHELL</c>. Each asks the program itself for the words that fit
/// (System.CommandLine's [suggest:POSITION] directive), so commands, options and values stay those of the tree.
/// </summary>
internal static class CompletionScripts
{
    public static IReadOnlyList<string> Shells { get; } = ["bash", "zsh", "fish", "pwsh"];

    public static string For(string shell) => shell switch
    {
        "bash" => """
            # agnews completion for bash: add to ~/.bashrc:  source <(agnews completion bash)
            _agnews_complete() {
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _agnews_complete agnews
            """,
        "zsh" => """
            # agnews completion for zsh: add to ~/.zshrc:  source <(agnews completion zsh)
            _agnews_complete() {
                local -a words
                words=("${(@f)$(${words[1]:-agnews} "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)}")
                compadd -a words
            }
            compdef _agnews_complete agnews
            """,
        "fish" => """
            # agnews completion for fish: agnews completion fish > ~/.config/fish/completions/agnews.fish
            complete -c agnews -f -a '(set -l line (commandline -cp); agnews "[suggest:"(string length -- $line)"]" "$line" 2>/dev/null)'
            """,
        "pwsh" => """
            # agnews completion for PowerShell: add to $PROFILE:  agnews completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName agnews -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                agnews "[suggest:$cursorPosition]" "$commandAst" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }
            """,
        _ => throw new UsageException($"no completion script for '{shell}'; one of {string.Join(", ", Shells)}"),
    };
}

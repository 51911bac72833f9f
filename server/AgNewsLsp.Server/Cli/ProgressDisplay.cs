using System.Diagnostics;
using AgNewsLsp.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// How a command shows its long work on stderr. On a terminal: Spectre.Console bars with count, rate and time left,
/// then a table of the stages. Not on a terminal, or with --json: plain lines, as scripts and CI logs have always
/// read them. With --quiet: nothing. Results never go here: they go to stdout.
/// </summary>
internal abstract class ProgressDisplay : IAsyncDisposable
{
    /// <summary>Progress of the work; null when nothing is shown.</summary>
    public abstract IProgress<WorkProgress>? Progress { get; }

    /// <summary>Lines about the work (the model being fetched or converted); null when nothing is shown.</summary>
    public abstract IProgress<string>? Log { get; }

    /// <summary>The work is done: the display ends (bars: with the summary table).</summary>
    public virtual Task DoneAsync() => Task.CompletedTask;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// The display for a command's options and where stderr goes. <paramref name="bars"/>: the command's work is long
    /// enough for bars (train, evaluate, label --recursive, embed); shorter ones keep the line.
    /// </summary>
    public static ProgressDisplay For(CommandInput a, TextWriter stderr, bool bars = false)
    {
        if (a.Flag("quiet")) return new Silent();
        bool terminal = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
        return terminal && bars && !a.Flag("json") ? new Bars(stderr) : new Lines(stderr, terminal);
    }

    private sealed class Silent : ProgressDisplay
    {
        public override IProgress<WorkProgress>? Progress => null;
        public override IProgress<string>? Log => null;
    }

    /// <summary>One rewritten line on a terminal, else a line per 10% step and per epoch or pass summary.</summary>
    private sealed class Lines(TextWriter stderr, bool terminal) : ProgressDisplay, IProgress<WorkProgress>, IProgress<string>
    {
        private readonly Lock _gate = new();
        private string _stage = "";
        private int _lastDecile = -1;
        private bool _open;

        public override IProgress<WorkProgress> Progress => this;
        public override IProgress<string> Log => this;

        public void Report(WorkProgress p)
        {
            var line = p.Total > 0
                ? $"{p.Stage}: {p.Done}/{p.Total} ({p.Percent:F0}%){(p.Message is null ? "" : " " + p.Message)}"
                : $"{p.Stage}{(p.Message is null ? "" : ": " + p.Message)}";
            lock (_gate)
            {
                if (terminal)
                {
                    stderr.Write("\r" + (line.Length > 159 ? line[..159] : line) + "\u001b[K"); // \e[K clears the rest of the line
                    _open = true;
                    return;
                }
                int decile = (int)(p.Percent / 10);
                if (p.Stage != _stage || decile != _lastDecile || p.IsSummary)
                {
                    stderr.WriteLine(line);
                    _stage = p.Stage;
                    _lastDecile = decile;
                }
            }
        }

        public void Report(string message)
        {
            lock (_gate)
            {
                EndLine();
                stderr.WriteLine(message);
            }
        }

        private void EndLine()
        {
            if (_open) stderr.WriteLine();
            _open = false;
        }

        public override Task DoneAsync()
        {
            lock (_gate) EndLine();
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// A Spectre.Console progress display on stderr: a bar per stage as it starts, with done/total, rate and time left;
    /// then a table of what each stage did, with its last message (an epoch's losses, the file saved). The live display runs beside the
    /// work and is ended by <see cref="DoneAsync"/>.
    /// </summary>
    private sealed class Bars : ProgressDisplay, IProgress<WorkProgress>, IProgress<string>
    {
        private sealed class Stage(ProgressTask task)
        {
            public ProgressTask Task { get; } = task;
            public Stopwatch Clock { get; } = Stopwatch.StartNew();
            public TimeSpan Elapsed;
            public long Done, Total;
            public string? Message;
        }

        private readonly IAnsiConsole _console;
        private readonly TaskCompletionSource<ProgressContext> _context = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _live;
        private readonly Dictionary<string, Stage> _stages = new();
        private readonly Lock _gate = new();
        private bool _done;

        public Bars(TextWriter stderr)
        {
            _console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(stderr),
                Ansi = AnsiSupport.Yes, // a terminal: For checked
                Interactive = InteractionSupport.Yes,
                ColorSystem = ColorSystemSupport.Detect,
            });
            _live = _console.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 },
                    new PercentageColumn(), new CountColumn(), new RateColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    _context.TrySetResult(context);
                    await _finished.Task;
                });
        }

        public override IProgress<WorkProgress> Progress => this;
        public override IProgress<string> Log => this;

        public void Report(WorkProgress p)
        {
            if (!_context.Task.IsCompleted && !_context.Task.Wait(TimeSpan.FromSeconds(5))) return; // the display never started
            var context = _context.Task.Result;
            lock (_gate)
            {
                if (_done) return;
                if (!_stages.TryGetValue(p.Stage, out var stage))
                {
                    // A new stage: the ones before it are over (a one-step stage, reading or saving, is then done).
                    foreach (var earlier in _stages.Values)
                    {
                        if (earlier.Total <= 1 && !earlier.Task.IsFinished) earlier.Task.Value = earlier.Task.MaxValue;
                        Stop(earlier);
                    }
                    _stages[p.Stage] = stage = new Stage(context.AddTask(p.Stage, maxValue: Math.Max(1, p.Total)));
                }
                if (p.Total > 0) stage.Task.MaxValue = p.Total;
                stage.Task.Value = p.Total > 0 ? p.Done : 0;
                (stage.Done, stage.Total, stage.Message) = (p.Done, p.Total, p.Message ?? stage.Message);
                stage.Elapsed = stage.Clock.Elapsed;
            }
        }

        private static void Stop(Stage stage)
        {
            if (stage.Task.IsFinished) return;
            stage.Elapsed = stage.Clock.Elapsed;
            stage.Task.StopTask();
        }

        private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 3)] + "...";

        public void Report(string message) => _console.MarkupLine($"[grey]{Markup.Escape(message)}[/]");

        public override async Task DoneAsync()
        {
            await EndAsync();
            List<(string Name, Stage Stage)> stages;
            lock (_gate) stages = _stages.Select(s => (s.Key, s.Value)).ToList();
            if (stages.Count == 0) return;
            var table = new Table().Border(TableBorder.Rounded).AddColumn("stage").AddColumn(new TableColumn("done").RightAligned())
                .AddColumn(new TableColumn("time").RightAligned()).AddColumn(new TableColumn("rate").RightAligned()).AddColumn("last");
            foreach (var (name, stage) in stages)
            {
                var seconds = stage.Elapsed.TotalSeconds;
                table.AddRow(Markup.Escape(name), stage.Total > 1 ? $"{stage.Done:N0}/{stage.Total:N0}" : "", $"{seconds:F1} s",
                    stage.Total > 1 && seconds >= MinSecondsForRate ? $"{stage.Done / seconds:F1}/s" : "",
                    Markup.Escape(Shorten(stage.Message ?? "", 60)));
            }
            _console.Write(table);
        }

        private async Task EndAsync()
        {
            lock (_gate)
            {
                if (_done) return;
                _done = true;
                foreach (var stage in _stages.Values) Stop(stage);
            }
            _finished.TrySetResult();
            await _live;
        }

        public override async ValueTask DisposeAsync() => await EndAsync(); // a failed or cancelled run: the bars stop, no table
    }

    /// <summary>done/total, as numbers.</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text($"{task.Value:N0}/{task.MaxValue:N0}");
    }

    /// <summary>A stage shorter than this has no rate worth showing (features from the cache: 600 in a millisecond).</summary>
    private const double MinSecondsForRate = 0.2;

    /// <summary>Items per second over the last moments (Spectre's own speed estimate).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text(task.Speed is { } speed and > 0 && task.ElapsedTime?.TotalSeconds >= MinSecondsForRate
                ? $"{speed:F1}/s" : "");
    }
}

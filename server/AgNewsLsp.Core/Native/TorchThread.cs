using TorchSharp;

namespace AgNewsLsp.Native;

/// <summary>Which queue a piece of libtorch work waits in.</summary>
public enum TorchPriority
{
    /// <summary>A user is waiting: hovers, classify. Runs before any queued background work.</summary>
    Interactive,
    /// <summary>
    /// Interactive work that may also run inside a background item, between two of its steps (a background encoder
    /// batch offers such points inside and after each layer, see BertLayer.Forward): it must leave no tensor behind,
    /// returning managed data only, because any tensor it moves outward lands in the background item's dispose scope.
    /// </summary>
    InteractiveNested,
    /// <summary>Long work cut into batches or epochs: feature extraction, head training.</summary>
    Background,
}

/// <summary>
/// One long-lived thread that runs the engine's libtorch work. libtorch gives every thread that calls it an
/// OpenMP team of its own; on a laptop's few cores, teams of several threads compete for them and single-text
/// latency rises (README, Benchmarks). Long work is queued a
/// batch (or an epoch) at a time, and interactive work goes first. A hover during training would still wait for the
/// batch in flight, so a background batch calls <see cref="YieldToInteractive"/> between its layers, where waiting
/// <see cref="TorchPriority.InteractiveNested"/> work runs at once. Work submitted from this thread itself runs inline.
/// </summary>
public sealed class TorchThread
{
    public static TorchThread Shared { get; } = new();

    private readonly Queue<(Action Run, bool Nested)> _interactive = new();
    private readonly Queue<Action> _background = new();
    private bool _inBackground; // the item in flight is background work (read and written on this thread only)
    private readonly object _gate = new(); // Monitor.Wait/Pulse: a System.Threading.Lock would not do
    private readonly Thread _thread;
    private bool _running; // an item is in flight
    private bool _stopped; // no item starts any more

    private TorchThread() : this(stopAtProcessExit: true) { }

    /// <param name="stopAtProcessExit">
    /// At process exit, wait for the item in flight and start no other. Returning from Main runs libtorch's static
    /// destructors; an item still running then (a model load, a bf16 cast) aborts the process (SIGABRT) instead of
    /// letting it exit with its code, as an LSP client's 'exit' during model loading showed.
    /// </param>
    internal TorchThread(bool stopAtProcessExit)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "agnews-torch" };
        _thread.Start();
        if (stopAtProcessExit) AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Starts no more items and waits (at most <paramref name="timeout"/>) for the one in flight. True when none is left running.
    /// </summary>
    internal bool Stop(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
            if (IsCurrent) return false; // the item in flight is the caller's own
            while (_running)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_gate, left);
            }
            return true;
        }
    }

    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>
    /// Throws unless called on the shared torch thread. The torch-facing types (BertModel, TopLayers, ClassifierHead) call
    /// it where their compute starts, so work that skipped <see cref="Run{T}"/> fails at once in a test instead of running
    /// beside the torch thread with an OpenMP team of its own (the slow tail and the races the one thread exists to avoid).
    /// </summary>
    public static void EnsureOnTorchThread([System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        if (!Shared.IsCurrent)
            throw new InvalidOperationException($"{caller} runs libtorch work: call it on the torch thread (TorchThread.Shared.Run).");
    }

    /// <summary>Whether <see cref="Stop"/> has been called: no item starts any more.</summary>
    internal bool Stopping
    {
        get
        {
            lock (_gate) return _stopped;
        }
    }

    /// <summary>Work items waiting (not the one running).</summary>
    public int Queued
    {
        get
        {
            lock (_gate) return _interactive.Count + _background.Count;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the torch thread and waits for its result (exceptions rethrown as they were).</summary>
    public T Run<T>(Func<T> work, TorchPriority priority, CancellationToken cancellationToken = default)
    {
        if (IsCurrent) return work();
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                done.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                done.TrySetResult(work());
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }, priority);
        return done.Task.GetAwaiter().GetResult();
    }

    public void Run(Action work, TorchPriority priority, CancellationToken cancellationToken = default) =>
        Run(() => { work(); return true; }, priority, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> with libtorch limited to one thread, then restores the thread count; call it on this
    /// thread. For one short text (a hover): its matmuls are too small to gain from a second core, and each op's
    /// fork and join would wait for a core that the server's other threads (or the editor) may hold at that moment,
    /// which is where a hover's slow tail came from (README, Benchmarks).
    /// </summary>
    public T SingleThreaded<T>(Func<T> work)
    {
        if (!IsCurrent) throw new InvalidOperationException("SingleThreaded runs on the torch thread");
        var threads = torch.get_num_threads();
        if (threads == 1) return work();
        torch.set_num_threads(1);
        try
        {
            return work();
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    private void Enqueue(Action item, TorchPriority priority)
    {
        lock (_gate)
        {
            if (priority == TorchPriority.Background) _background.Enqueue(item);
            else _interactive.Enqueue((item, priority == TorchPriority.InteractiveNested));
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// Called by background work between two of its steps: runs the <see cref="TorchPriority.InteractiveNested"/> items
    /// at the front of the interactive queue now, instead of after the whole background item. Elsewhere it does nothing.
    /// </summary>
    public void YieldToInteractive()
    {
        if (!IsCurrent || !_inBackground) return;
        _inBackground = false; // what runs now is interactive, and must not yield in turn
        try
        {
            while (true)
            {
                Action item;
                lock (_gate)
                {
                    if (_stopped || _interactive.Count == 0 || !_interactive.Peek().Nested) return;
                    item = _interactive.Dequeue().Run;
                }
                item();
            }
        }
        finally
        {
            _inBackground = true;
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action item;
            lock (_gate)
            {
                while (!_stopped && _interactive.Count == 0 && _background.Count == 0) Monitor.Wait(_gate);
                if (_stopped) return;
                _inBackground = _interactive.Count == 0;
                item = _inBackground ? _background.Dequeue() : _interactive.Dequeue().Run;
                _running = true;
            }
            item(); // never throws: every item completes its own TaskCompletionSource
            _inBackground = false;
            lock (_gate)
            {
                _running = false;
                Monitor.PulseAll(_gate);
            }
        }
    }
}

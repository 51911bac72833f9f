namespace AgNewsLsp.Native;

/// <summary>Which queue a piece of libtorch work waits in.</summary>
public enum TorchPriority
{
    /// <summary>A user is waiting: hovers, classify. Runs before any queued background work.</summary>
    Interactive,
    /// <summary>Long work cut into batches or epochs: feature extraction, head training.</summary>
    Background,
}

/// <summary>
/// One long-lived thread that runs the engine's libtorch work. libtorch gives every thread that calls it an
/// OpenMP team of its own; on a laptop's few cores, teams of several threads compete for them, and single-text
/// latency rose from 4.7 ms (one calling thread) to 7-9 ms (two) in bench/AgNewsLsp.Bench. Long work is queued a
/// batch (or an epoch) at a time, and interactive work goes first, so a hover during training waits at most for
/// the batch in flight. Work submitted from this thread itself runs inline.
/// </summary>
public sealed class TorchThread
{
    public static TorchThread Shared { get; } = new();

    private readonly Queue<Action> _interactive = new();
    private readonly Queue<Action> _background = new();
    private readonly object _gate = new(); // Monitor.Wait/Pulse: a System.Threading.Lock would not do
    private readonly Thread _thread;

    private TorchThread()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "agnews-torch" };
        _thread.Start();
    }

    public bool IsCurrent => Thread.CurrentThread == _thread;

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

    private void Enqueue(Action item, TorchPriority priority)
    {
        lock (_gate)
        {
            (priority == TorchPriority.Interactive ? _interactive : _background).Enqueue(item);
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action item;
            lock (_gate)
            {
                while (_interactive.Count == 0 && _background.Count == 0) Monitor.Wait(_gate);
                item = _interactive.Count > 0 ? _interactive.Dequeue() : _background.Dequeue();
            }
            item(); // never throws: every item completes its own TaskCompletionSource
        }
    }
}

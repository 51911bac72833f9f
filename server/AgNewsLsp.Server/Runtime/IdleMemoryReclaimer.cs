namespace AgNewsLsp.Server.Runtime;

/// <summary>
/// Gives memory back to the system when the server goes quiet. The garbage collector sizes its heap for
/// throughput and keeps what a burst of requests (or a large document, since closed) made it grow to; an editor's
/// server is idle most of its life, so once no message has come or gone for <see cref="IdleAfter"/> and enough has
/// been allocated since the last time, one compacting collection runs and the freed pages are returned.
/// It never runs while messages flow, so it adds no pause to a request.
/// </summary>
public sealed class IdleMemoryReclaimer : IDisposable
{
    /// <summary>Quiet time after the last message before a collection may run.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(1);

    /// <summary>Bytes allocated since the last collection that make another worth its pause.</summary>
    public const long AllocationThreshold = 32L << 20;

    /// <summary>The process's reclaimer: messages of every connection mark it busy.</summary>
    public static IdleMemoryReclaimer Shared { get; } = new(() => Environment.TickCount64, () => GC.GetTotalAllocatedBytes(precise: false),
        () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true), startTimer: true);

    private readonly Func<long> nowMs;
    private readonly Func<long> allocatedBytes;
    private readonly Action collect;
    private readonly Timer? timer;
    private long lastActivityMs;
    private long allocatedAtLastCollect;
    private int checking;

    /// <param name="nowMs">A monotonic clock in milliseconds.</param>
    /// <param name="allocatedBytes">Bytes allocated by the process so far.</param>
    /// <param name="collect">The collection that returns memory.</param>
    /// <param name="startTimer">Check on a timer (the process's instance); tests call <see cref="Check"/> themselves.</param>
    public IdleMemoryReclaimer(Func<long> nowMs, Func<long> allocatedBytes, Action collect, bool startTimer = false)
    {
        this.nowMs = nowMs;
        this.allocatedBytes = allocatedBytes;
        this.collect = collect;
        lastActivityMs = nowMs();
        allocatedAtLastCollect = allocatedBytes();
        if (startTimer) timer = new Timer(_ => Check(), null, IdleAfter / 2, IdleAfter / 2);
    }

    /// <summary>A message came in or went out.</summary>
    public void Busy() => Volatile.Write(ref lastActivityMs, nowMs());

    /// <summary>Collects when the server has been idle long enough and enough was allocated; true when it did.</summary>
    public bool Check()
    {
        if (Interlocked.Exchange(ref checking, 1) != 0) return false;
        try
        {
            if (nowMs() - Volatile.Read(ref lastActivityMs) < (long)IdleAfter.TotalMilliseconds) return false;
            if (allocatedBytes() - allocatedAtLastCollect < AllocationThreshold) return false;
            collect();
            allocatedAtLastCollect = allocatedBytes();
            return true;
        }
        finally
        {
            Volatile.Write(ref checking, 0);
        }
    }

    public void Dispose() => timer?.Dispose();
}

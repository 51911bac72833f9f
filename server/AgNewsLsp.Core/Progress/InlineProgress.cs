namespace AgNewsLsp.Progress;

/// <summary>
/// Reports on the caller's thread, in order. (System.Progress posts to the thread pool, which can
/// reorder reports: a "90%" arriving after "100%".)
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

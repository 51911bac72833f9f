using AgNewsLsp.Native;

namespace AgNewsLsp.Tests.Native;

/// <summary>Runs a test's libtorch work where the product runs it: on the shared torch thread (ARCHITECTURE.md, Invariants).</summary>
internal static class OnTorchThread
{
    public static void Run(Action work)
    {
        TorchRuntime.EnsureInitialized();
        TorchThread.Shared.Run(work, TorchPriority.Interactive);
    }

    public static T Run<T>(Func<T> work)
    {
        TorchRuntime.EnsureInitialized();
        return TorchThread.Shared.Run(work, TorchPriority.Interactive);
    }
}

using System.Runtime.InteropServices;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Server;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The language server owns stdout from the first byte: nothing may be written before it starts.
        if (args.Length > 0 && args[0] == "serve")
            return await ServerHost.RunAsync(args[1..], CreateEngine);

        using var cancel = new CancellationTokenSource();
        using var signals = CancelOnSignals(cancel);
        return await new CommandLine(Console.In, Console.Out, Console.Error).RunAsync(args, cancel.Token);
    }

    /// <summary>
    /// Ctrl+C, SIGTERM (kill, systemd, a container stop) and SIGHUP (the terminal closed) all cancel the command, so that
    /// its temp files are removed and it exits 130 instead of dying with them in place. A second signal while the first
    /// is being handled is left to its default action: it ends the process at once.
    /// </summary>
    private static CompositeDisposable CancelOnSignals(CancellationTokenSource cancel)
    {
        void Handle(PosixSignalContext context)
        {
            if (cancel.IsCancellationRequested) return; // the second: default action
            context.Cancel = true;
            cancel.Cancel();
        }
        return new CompositeDisposable([.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, Handle))]);
    }

    private sealed class CompositeDisposable(IReadOnlyList<IDisposable> parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>The real engine for the server, configured from its merged options.</summary>
    internal static async Task<ILabelingEngine> CreateEngine(ServerOptions options) =>
        await LabelingEngine.CreateAsync(options.ToEngineSettings(), log: new InlineProgress<string>(Console.Error.WriteLine));
}

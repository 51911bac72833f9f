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
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await new CommandLine(Console.In, Console.Out, Console.Error).RunAsync(args, cancel.Token);
    }

    /// <summary>The real engine for the server, configured from its merged options.</summary>
    internal static ILabelingEngine CreateEngine(ServerOptions options) =>
        LabelingEngine.CreateAsync(options.ToEngineSettings(), log: new InlineProgress<string>(Console.Error.WriteLine)).GetAwaiter().GetResult();
}

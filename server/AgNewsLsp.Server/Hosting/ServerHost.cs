using AgNewsLsp.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Hosting;

/// <summary>
/// The entry point of <c>agnews serve [--stdio | --port N] [options]</c> (the options: <see cref="ServerOptions"/>).
/// Configuration, lowest to highest: environment AGNEWS_* (AGNEWS_MODELPATH=...), the command line,
/// then each client's initializationOptions. Logs go to stderr and to the client; stdout carries only protocol.
/// </summary>
public static class ServerHost
{
    /// <summary>Pool threads ready without delay: room for a training run, label requests and hovers waiting at once.</summary>
    private const int MinPoolThreads = 32;

    public static string Usage => $"""
        usage: agnews serve [--stdio | --port N] [options]
        {OptionTable.Usage(OptionScope.Host)}
        engine (a client with other values gets an engine of its own):
        {OptionTable.Usage(OptionScope.Engine)}
        session:
        {OptionTable.Usage(OptionScope.Session)}
        every option can also be set as environment variable AGNEWS_<NAME> (AGNEWS_MAXTOKENS), and those a client may
        set in initializationOptions by their names (maxTokens).
        """;

    /// <summary>
    /// Runs the server until the client exits (stdio) or <paramref name="cancellationToken"/> fires / Ctrl+C (TCP).
    /// <paramref name="args"/> are the arguments after "serve" (a leading "serve" is skipped).
    /// <paramref name="engineFactory"/> is called once, on the first initialize, with the merged options.
    /// Returns the process exit code: 0 after shutdown+exit or when the client goes away, 1 on exit without
    /// shutdown, 2 on bad arguments.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Func<ServerOptions, Task<ILabelingEngine>> engineFactory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engineFactory);
        if (args.Length > 0 && args[0] == "serve") args = args[1..];
        // Requests wait for the torch thread on a pool thread each (the engine's API is synchronous), and a training
        // run holds one for as long as it runs; with the pool's default minimum (the core count) a hover would wait
        // for the pool to grow. Threads above the minimum are still made only when needed.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinPoolThreads), io);
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.Error.WriteLine(Usage);
            return 0;
        }
        ServerOptions options;
        try
        {
            options = ServerConfiguration.FromArguments(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"agnews serve: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        // Nothing but the protocol may reach stdout: keep the real stdout for the session, send strays to stderr.
        Stream? stdout = options.Port is null ? StdioStreams.ClaimStdout() : null;

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton<IHostLifetime, ConsoleLifetime>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp =>
            new EngineProvider(engineFactory, sp.GetRequiredService<ILoggerFactory>().CreateLogger("agnews.engine")));
        var exitCode = new ExitCode();
        builder.Services.AddSingleton(exitCode);
        if (stdout is not null)
            builder.Services.AddHostedService(sp => new StdioServer(Console.OpenStandardInput(), stdout, sp));
        else
            builder.Services.AddHostedService(sp => new TcpServer(sp));

        using var host = builder.Build();
        var engines = host.Services.GetRequiredService<EngineProvider>();
        try
        {
            await host.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        await engines.DisposeAsync();
        return exitCode.Value;
    }
}

/// <summary>The process exit code the serving loop decided on.</summary>
public sealed class ExitCode
{
    public int Value { get; set; }
}

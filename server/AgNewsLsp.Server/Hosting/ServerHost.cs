using AgNewsLsp.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AgNewsLsp.Server.Hosting;

/// <summary>
/// The entry point of <c>agnews serve [--stdio | --port N] [--modelPath P] [--headPath P] [--dataFolder D]
/// [--pooling X] [--maxTokens N] [--cacheFolder D] [--hoverUnit paragraph|line] [--maxTextBytes N]
/// [--progressThrottleMs N] [--publishDiagnostics true|false] [--logLevel L]</c>.
/// Configuration, lowest to highest: environment AGNEWS_* (AGNEWS_MODELPATH=...), the command line,
/// then each client's initializationOptions. Logs go to stderr and to the client; stdout carries only protocol.
/// </summary>
public static class ServerHost
{
    public const string Usage = """
        usage: agnews serve [--stdio | --port N] [options]
          --stdio                 serve one client over stdin/stdout (default)
          --port N                serve clients over TCP on 127.0.0.1:N (0 picks a free port), one session per connection;
                                  each client must send the token file's content as initializationOptions.token
          --tokenFile P           where --port writes its token (mode 0600; default $XDG_RUNTIME_DIR/agnews/server-N.token)
          --modelPath P           encoder model folder          --headPath P        trained head file
          --dataFolder D          base of relative dataPath     --cacheFolder D     feature cache folder
          --pooling X             pooling of the encoder        --maxTokens N       tokens per text
          --hoverUnit U           paragraph (default) | line    --maxTextBytes N    largest text accepted (1048576)
          --maxDocumentChars N    largest open document kept (33554432)   --maxOpenDocuments N  per session (1000)
          --progressThrottleMs N  min ms between progress reports (100)
          --publishDiagnostics B  labels as diagnostics after agnews/labelDocument (true)
          --logLevel L            Trace | Debug | Information | Warning | Error (Information)
        every option can also be set as environment variable AGNEWS_<NAME> or in initializationOptions.
        """;

    /// <summary>
    /// Runs the server until the client exits (stdio) or <paramref name="cancellationToken"/> fires / Ctrl+C (TCP).
    /// <paramref name="args"/> are the arguments after "serve" (a leading "serve" is skipped).
    /// <paramref name="engineFactory"/> is called once, on the first initialize, with the merged options.
    /// Returns the process exit code: 0 after shutdown+exit or when the client goes away, 1 on exit without
    /// shutdown, 2 on bad arguments.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Func<ServerOptions, ILabelingEngine> engineFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engineFactory);
        if (args.Length > 0 && args[0] == "serve") args = args[1..];
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.Error.WriteLine(Usage);
            return 0;
        }
        string[] configArgs;
        try
        {
            configArgs = NormalizeArguments(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"agnews serve: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("AGNEWS_")
            .AddCommandLine(configArgs)
            .Build();
        ServerOptions options;
        try
        {
            options = ServerConfiguration.FromConfiguration(configuration);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"agnews serve: {ex.Message}");
            return 2;
        }

        // Nothing but the protocol may reach stdout: keep the real stdout for the session, send strays to stderr.
        Stream? stdout = options.Port is null ? StdioStreams.ClaimStdout() : null;

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(Enum.TryParse<LogLevel>(options.LogLevel, true, out var level) ? level : LogLevel.Information);
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
        builder.Services.AddSingleton(sp => new EngineProvider(engineFactory, sp.GetRequiredService<ILoggerFactory>().CreateLogger("agnews.engine")));
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

    /// <summary>--stdio -> --stdio=true; --key value and --key=value pass through; anything else is an error.</summary>
    internal static string[] NormalizeArguments(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new ArgumentException($"unexpected argument '{a}'");
            if (a == "--stdio") { result.Add("--stdio=true"); continue; }
            if (a.Contains('=')) { result.Add(a); continue; }
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"option '{a}' needs a value");
            result.Add(a);
            result.Add(args[++i]);
        }
        if (result.Any(r => r.StartsWith("--stdio", StringComparison.Ordinal)) && result.Any(r => r.StartsWith("--port", StringComparison.Ordinal)))
            throw new ArgumentException("--stdio and --port exclude each other");
        return result.ToArray();
    }
}

/// <summary>The process exit code the serving loop decided on.</summary>
public sealed class ExitCode
{
    public int Value { get; set; }
}

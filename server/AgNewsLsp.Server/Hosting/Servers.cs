using System.Net;
using System.Net.Sockets;
using AgNewsLsp.Server.Protocol.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Hosting;

/// <summary>One session over stdin/stdout; the process ends with it.</summary>
internal sealed class StdioServer(Stream stdin, Stream stdout, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var exitCode = services.GetRequiredService<ExitCode>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("agnews.host");
        try
        {
            await using var session = new LspSession(stdin, stdout, services.GetRequiredService<EngineProvider>(),
                services.GetRequiredService<ServerOptions>(), services.GetRequiredService<ILoggerFactory>());
            logger.LogInformation("agnews {Version} serving over stdio", Protocol.LanguageServer.Version);
            exitCode.Value = await session.RunAsync(stoppingToken);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "stdio session failed");
            exitCode.Value = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}

/// <summary>
/// Listens on 127.0.0.1; each connection is its own session, which must show the token written to the token file.
/// Runs until the host stops.
/// </summary>
internal sealed class TcpServer(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = services.GetRequiredService<ServerOptions>();
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger("agnews.host");
        var engines = services.GetRequiredService<EngineProvider>();
        var listener = new TcpListener(IPAddress.Loopback, options.Port ?? 0);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            logger.LogError("cannot listen on 127.0.0.1:{Port}: {Message}", options.Port, ex.Message);
            services.GetRequiredService<ExitCode>().Value = 1;
            services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            return;
        }
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        ConnectionToken token;
        try
        {
            token = ConnectionToken.Create(options.TokenFile ?? ConnectionToken.DefaultPath(port));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            logger.LogError("cannot write the connection token file: {Message}", ex.Message);
            listener.Stop();
            // A path that holds something else is the user's to fix, like a bad option (2); a failed write is 1.
            services.GetRequiredService<ExitCode>().Value = ex is TokenFileRefusedException ? 2 : 1;
            services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            return;
        }
        using var _ = token;
        // Clients read the token file's path and (for port 0) the chosen port from these stderr lines.
        Console.Error.WriteLine($"agnews: token file {token.FilePath}");
        Console.Error.WriteLine($"agnews: listening on 127.0.0.1:{port}");
        logger.LogInformation("agnews {Version} listening on 127.0.0.1:{Port}", Protocol.LanguageServer.Version, port);
        var sessions = new List<Task>();
        var n = 0;
        var counts = new ConnectionCounts();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stoppingToken);
                var name = $"tcp#{++n}";
                sessions.RemoveAll(t => t.IsCompleted);
                // Caps before any byte is read: a flood of connections costs a socket each for a moment, not a session.
                if (counts.Refusal(options) is { } reason)
                {
                    logger.LogWarning("{Name}: closed at once: {Reason}", name, reason);
                    client.Dispose();
                    continue;
                }
                counts.Opened();
                sessions.Add(Task.Run(
                    () => ServeAsync(client, name, engines, options, token.Value, loggerFactory, logger, counts, stoppingToken),
                    CancellationToken.None));
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            listener.Stop();
            await Task.WhenAll(sessions);
        }
    }

    private static async Task ServeAsync(TcpClient client, string name, EngineProvider engines, ServerOptions options, string token,
        ILoggerFactory loggerFactory, ILogger logger, ConnectionCounts counts, CancellationToken stoppingToken)
    {
        var authenticated = 0; // counted once, whether the token comes or the connection ends first
        var released = 0;
        void Release()
        {
            // As soon as the session is over, before the socket closes: a client that reconnects then finds the place free.
            if (Interlocked.Exchange(ref released, 1) == 0)
                counts.Closed(wasAuthenticated: Interlocked.Exchange(ref authenticated, 1) == 1);
        }
        using (client)
        {
            try
            {
                client.NoDelay = true;
                var stream = client.GetStream();
                logger.LogInformation("{Name}: connected from {Remote}", name, client.Client.RemoteEndPoint);
                await using var session = new LspSession(stream, stream, engines, options, loggerFactory, name, requiredToken: token);
                _ = session.Server.Authenticated.ContinueWith(_ =>
                {
                    if (Interlocked.Exchange(ref authenticated, 1) == 0) counts.Authenticated();
                }, TaskScheduler.Default);
                var code = await session.RunAsync(stoppingToken);
                Release();
                logger.LogInformation("{Name}: session ended ({Code})", name, code);
            }
            catch (Exception ex)
            {
                logger.LogWarning("{Name}: session failed: {Message}", name, ex.Message);
            }
            finally
            {
                Release();
            }
        }
    }

    /// <summary>The TCP connections open now, and how many of them have not shown the token yet.</summary>
    private sealed class ConnectionCounts
    {
        private int open, unauthenticated;

        /// <summary>Why a new connection is closed at once; null when it may be served.</summary>
        public string? Refusal(ServerOptions options) =>
            Volatile.Read(ref open) >= options.MaxConnections
                ? $"{options.MaxConnections} connections are open (--max-connections)"
                : Volatile.Read(ref unauthenticated) >= options.MaxUnauthenticatedConnections
                    ? $"{options.MaxUnauthenticatedConnections} connections have not shown the token yet " +
                        "(--max-unauthenticated-connections)"
                    : null;

        public void Opened()
        {
            Interlocked.Increment(ref open);
            Interlocked.Increment(ref unauthenticated);
        }

        public void Authenticated() => Interlocked.Decrement(ref unauthenticated);

        public void Closed(bool wasAuthenticated)
        {
            if (!wasAuthenticated) Interlocked.Decrement(ref unauthenticated);
            Interlocked.Decrement(ref open);
        }
    }
}

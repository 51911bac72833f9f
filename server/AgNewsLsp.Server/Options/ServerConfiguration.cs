namespace AgNewsLsp.Server.Options;

/// <summary>The options of <c>agnews serve</c>: the environment, then its arguments, through <see cref="OptionTable"/>.</summary>
public static class ServerConfiguration
{
    private static readonly OptionScope[] AllScopes = [OptionScope.Host, OptionScope.Engine, OptionScope.Session];

    /// <summary>
    /// AGNEWS_* variables, then <paramref name="args"/> (the arguments after "serve"). An explicit --stdio wins over
    /// a port from the environment: the editor always asks for stdio. Throws ArgumentException naming the problem.
    /// </summary>
    public static ServerOptions FromArguments(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var options = OptionTable.FromEnvironment(new ServerOptions(), environment ?? OptionTable.ProcessEnvironment());
        var fromEnvironment = options;
        (options, var rest) = OptionTable.TakeFromArguments(options with { Stdio = false, Port = null }, args, AllScopes);
        if (rest.Length > 0) throw new ArgumentException($"unexpected argument '{rest[0]}'");
        if (options.Stdio && options.Port is not null) throw new ArgumentException("--stdio and --port exclude each other");
        if (!options.Stdio && options.Port is null) options = options with { Port = fromEnvironment.Port };
        return options with { Stdio = options.Port is null };
    }
}

using AgNewsLsp.Server.Hosting;

namespace AgNewsLsp.Server;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve")
        {
            // The CLI front (Cli/) will replace this with the real engine factory.
            return ServerHost.RunAsync(args[1..], _ => throw new NotImplementedException("engine arrives on main"))
                .GetAwaiter().GetResult();
        }
        Console.Error.WriteLine("agnews: only 'serve' is built yet");
        return 2;
    }
}

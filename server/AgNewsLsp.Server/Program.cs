namespace AgNewsLsp.Server;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("agnews: not built yet");
        return 2;
    }
}

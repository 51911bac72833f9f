using AgNewsLsp.Server.Cli;

namespace AgNewsLsp.Tests.Cli;

/// <summary>The agnews command line run in-process, as a shell runs it: standard input in, exit code and both outputs back.</summary>
public static class CliRun
{
    public static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CommandLine(new StringReader(stdin), stdout, stderr).RunAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }
}

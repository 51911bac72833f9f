using System.Runtime.InteropServices;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Tests.Protocol;

// agnews-fake serve [--stdio | --port N] [options]: the real host with the fake engine.
// FAKE_STEP_MS sets the fake's delay per training/evaluation step (default 5).
// FAKE_STDOUT_NOISE=1 makes the engine factory print to stdout, managed and native, as a careless engine might:
// the host must keep that off the protocol stream.
var stepMs = int.TryParse(Environment.GetEnvironmentVariable("FAKE_STEP_MS"), out var ms) ? ms : 5;
var noise = Environment.GetEnvironmentVariable("FAKE_STDOUT_NOISE") == "1";
return await ServerHost.RunAsync(args, _ =>
{
    if (noise)
    {
        Console.WriteLine("managed noise on stdout");
        var bytes = "native noise on fd 1\n"u8.ToArray();
        Native.Write(1, bytes, bytes.Length);
    }
    return Task.FromResult<AgNewsLsp.Engine.ILabelingEngine>(new FakeLabelingEngine { StepDelay = TimeSpan.FromMilliseconds(stepMs) });
});

static class Native
{
    [DllImport("libc", EntryPoint = "write")]
    public static extern nint Write(int fd, byte[] buffer, nint count);
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgNewsLsp.Server.Hosting;

/// <summary>
/// Claims stdout for the protocol. Managed writes to Console.Out are sent to stderr; on Linux and macOS the
/// process's file descriptor 1 is also pointed at stderr (after keeping a duplicate of the real stdout for the
/// protocol), so native code (libtorch, tokenizers) printing to stdout cannot corrupt the framing either.
/// </summary>
internal static class StdioStreams
{
    public static Stream ClaimStdout()
    {
        Console.Out.Flush();
        Stream? stdout = null;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try
            {
                var saved = Dup(1);
                if (saved >= 0)
                {
                    if (Dup2(2, 1) >= 0)
                        stdout = new FileStream(new SafeFileHandle(saved, ownsHandle: true), FileAccess.Write, bufferSize: 0);
                    else
                        Close(saved);
                }
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or IOException or ArgumentException)
            {
                stdout = null; // fall back to the managed redirect only
            }
        }
        stdout ??= Console.OpenStandardOutput();
        Console.SetOut(Console.Error);
        return stdout;
    }

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}

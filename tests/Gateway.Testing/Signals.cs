using System.Runtime.InteropServices;

namespace Gateway.Testing;

/// <summary>POSIX signals, for tests that stop, freeze or interrupt real processes (Linux numbering).</summary>
public static partial class Signals
{
    public const int Interrupt = 2;
    public const int Terminate = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to a process, or to a whole process group when <paramref name="pid"/> is negative.</summary>
    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}

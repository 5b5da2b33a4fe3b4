using System.Runtime.InteropServices;

namespace Volunteer.EndToEnd.Tests;

/// <summary>Freezing and thawing a process (SIGSTOP / SIGCONT), to look at its files while it cannot change them.</summary>
internal static partial class PosixSignals
{
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    public static void Stop(int processId) => Send(processId, OperatingSystem.IsLinux() ? 19 : 17);

    public static void Continue(int processId) => Send(processId, OperatingSystem.IsLinux() ? 18 : 19);

    /// <summary>SIGTERM: what systemd and a shutdown send, asking the process to stop cleanly.</summary>
    public static void Terminate(int processId) => Send(processId, 15);

    private static void Send(int processId, int signal)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Process signals need a POSIX system.");
        }
        if (Kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
}

using System.Globalization;
using System.Runtime.InteropServices;

namespace Volunteer.Worker.Governor;

/// <summary>
/// The CPU time of the calling thread, what the throttle holds to a share of wall time: clock_gettime's
/// CLOCK_THREAD_CPUTIME_ID on Linux and macOS, GetThreadTimes on Windows.
/// </summary>
internal static class ThreadCpuClock
{
    private const int LinuxThreadCpuClock = 3;
    private const int MacThreadCpuClock = 16;
    private const long NanosecondsPerTick = 100;

    [ThreadStatic]
    private static int? _osThreadId;

    [ThreadStatic]
    private static bool _osThreadIdKnown;

    /// <summary>The calling thread's CPU time so far; null where the platform does not give it.</summary>
    public static TimeSpan? Now()
    {
        try
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                var clock = OperatingSystem.IsLinux() ? LinuxThreadCpuClock : MacThreadCpuClock;
                return clock_gettime(clock, out var time) == 0
                    ? TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / NanosecondsPerTick))
                    : null;
            }
            if (OperatingSystem.IsWindows())
            {
                // FILETIMEs count 100 ns, as TimeSpan ticks do.
                return GetThreadTimes(GetCurrentThread(), out _, out _, out var kernel, out var user) ? TimeSpan.FromTicks(kernel + user) : null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return null;
    }

    /// <summary>
    /// The operating system's id of the calling thread, as /proc/PID/task/ lists it, on Linux (from the link
    /// /proc/thread-self, "PID/task/TID"); null elsewhere, where the managed thread id is no OS id.
    /// </summary>
    public static int? OsThreadId()
    {
        if (!_osThreadIdKnown)
        {
            _osThreadIdKnown = true;
            _osThreadId = OperatingSystem.IsLinux()
                && new FileInfo("/proc/thread-self").LinkTarget is { } target
                && int.TryParse(Path.GetFileName(target), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : null;
        }
        return _osThreadId;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [DllImport("kernel32.dll")]
    private static extern IntPtr GetCurrentThread();

    [DllImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetThreadTimes(IntPtr thread, out long creation, out long exit, out long kernel, out long user);
}

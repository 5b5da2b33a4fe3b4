using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Volunteer.Worker.Governor.Machine;

/// <summary>
/// The machine as Windows tells it: the last input of the session the agent runs in (GetLastInputInfo: a service runs in
/// session 0, where no owner types, so only an agent run in the owner's session sees them at work), the system's CPU
/// times (GetSystemTimes) and its power source (GetSystemPowerStatus).
/// </summary>
public sealed class WindowsMachineProbe(TimeProvider timeProvider) : IMachineProbe
{
    private const byte AcOffline = 0;
    private const byte AcOnline = 1;
    private const byte NoSystemBattery = 128;

    private readonly CpuLoadWindow _load = new(timeProvider, TimeSpan.FromSeconds(5));

    public TimeSpan? InputIdle()
    {
        var info = new LastInputInfo { Size = (uint)Marshal.SizeOf<LastInputInfo>() };
        if (!GetLastInputInfo(ref info))
        {
            return null;
        }
        // Both are milliseconds since boot, wrapping every 49.7 days: unsigned subtraction stays right across a wrap.
        return TimeSpan.FromMilliseconds(unchecked((uint)Environment.TickCount - info.Time));
    }

    public double? OtherCpuLoad()
    {
        if (!GetSystemTimes(out var idle, out var kernel, out var user))
        {
            return null;
        }
        // Kernel time includes the idle time.
        var total = (double)(kernel + user);
        using var self = Process.GetCurrentProcess();
        var own = self.TotalProcessorTime.Ticks;
        return _load.Add(new CpuCounters(total - idle, total, own));
    }

    public bool? OnBattery()
    {
        if (!GetSystemPowerStatus(out var status))
        {
            return null;
        }
        return status.BatteryFlag == NoSystemBattery ? false
            : status.AcLineStatus == AcOffline ? true
            : status.AcLineStatus == AcOnline ? false
            : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LastInputInfo
    {
        public uint Size;
        public uint Time;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SystemPowerStatus
    {
        public byte AcLineStatus;
        public byte BatteryFlag;
        public byte BatteryLifePercent;
        public byte SystemStatusFlag;
        public uint BatteryLifeTime;
        public uint BatteryFullLifeTime;
    }

    [DllImport("user32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetLastInputInfo(ref LastInputInfo info);

    [DllImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetSystemPowerStatus(out SystemPowerStatus status);

    /// <summary>FILETIMEs (100 ns) read as 64-bit integers: the two halves are laid out low then high.</summary>
    [DllImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetSystemTimes(out long idle, out long kernel, out long user);
}

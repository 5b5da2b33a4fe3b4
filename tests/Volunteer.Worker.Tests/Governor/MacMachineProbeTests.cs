using Volunteer.Worker.Governor.Machine;

namespace Volunteer.Worker.Tests.Governor;

/// <summary>The macOS probe's reading of its tools' output, on samples of it.</summary>
public sealed class MacMachineProbeTests
{
    [Fact]
    public void The_hid_idle_time_is_read_from_ioreg_in_nanoseconds()
    {
        const string ioreg = """
            +-o Root  <class IORegistryEntry, id 0x100000100, retain 36>
              +-o IOHIDSystem  <class IOHIDSystem, id 0x1000002d5, registered, matched, active, busy 0 (0 ms), retain 19>
                  {
                    "HIDIdleTime" = 42500000000
                    "HIDParameters" = {"HIDClickTime"=500000000}
                  }
            """;

        Assert.Equal(TimeSpan.FromSeconds(42.5), MacMachineProbe.ParseHidIdleTime(ioreg));
        Assert.Null(MacMachineProbe.ParseHidIdleTime("+-o Root"));
        Assert.Null(MacMachineProbe.ParseHidIdleTime(null));
    }

    [Fact]
    public void The_power_source_is_read_from_pmset()
    {
        Assert.True(MacMachineProbe.ParsePmsetBattery("Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1234)\t87%; discharging; 4:12 remaining present: true\n"));
        Assert.False(MacMachineProbe.ParsePmsetBattery("Now drawing from 'AC Power'\n -InternalBattery-0 (id=1234)\t100%; charged; 0:00 remaining present: true\n"));
        Assert.Null(MacMachineProbe.ParsePmsetBattery("pmset: no such option\n"));
    }
}

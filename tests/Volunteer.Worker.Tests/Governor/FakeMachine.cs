using Volunteer.Worker.Governor.Machine;

namespace Volunteer.Worker.Tests.Governor;

/// <summary>A machine whose input idleness, load and power the test sets, counting how often each is asked.</summary>
internal sealed class FakeMachine : IMachineProbe
{
    public TimeSpan? Idle { get; set; }

    public double? Load { get; set; }

    public bool? Battery { get; set; }

    public int Asked { get; private set; }

    public TimeSpan? InputIdle()
    {
        Asked++;
        return Idle;
    }

    public double? OtherCpuLoad()
    {
        Asked++;
        return Load;
    }

    public bool? OnBattery()
    {
        Asked++;
        return Battery;
    }
}

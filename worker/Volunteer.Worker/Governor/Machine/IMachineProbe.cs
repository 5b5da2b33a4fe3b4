namespace Volunteer.Worker.Governor.Machine;

/// <summary>
/// What the governor asks of the machine to know whether the owner uses it and whether it runs on battery. Each answer
/// is null where the platform does not tell (or not yet: a load needs two samples), and the governor then does not
/// pause for that reason.
/// </summary>
public interface IMachineProbe
{
    /// <summary>How long ago the owner last used the keyboard or mouse.</summary>
    TimeSpan? InputIdle();

    /// <summary>Other programs' CPU load, in percent of all cores together, averaged over the last few seconds.</summary>
    double? OtherCpuLoad();

    /// <summary>Whether the machine draws from its battery now.</summary>
    bool? OnBattery();
}

/// <summary>The probe of the platform the agent runs on.</summary>
public static class MachineProbe
{
    public static IMachineProbe ForThisPlatform(TimeProvider timeProvider) =>
        OperatingSystem.IsLinux() ? new LinuxMachineProbe("/", timeProvider)
        : OperatingSystem.IsWindows() ? new WindowsMachineProbe(timeProvider)
        : OperatingSystem.IsMacOS() ? new MacMachineProbe(timeProvider)
        : new UnknownMachine();

    /// <summary>A platform the agent knows nothing of: it never pauses for the machine's sake.</summary>
    private sealed class UnknownMachine : IMachineProbe
    {
        public TimeSpan? InputIdle() => null;

        public double? OtherCpuLoad() => null;

        public bool? OnBattery() => null;
    }
}

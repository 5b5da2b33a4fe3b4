namespace Volunteer.Worker.Governor.Machine;

/// <summary>
/// The machine as Linux shows it in files, under <paramref name="root"/> ("/" but for tests), with no X11 needed, as
/// BOINC's client does it: input idleness from the access times of the terminals of the users logged in (and of the
/// input devices), CPU load from /proc, power from /sys/class/power_supply.
/// </summary>
public sealed class LinuxMachineProbe(string root, TimeProvider timeProvider) : IMachineProbe
{
    private readonly CpuLoadWindow _load = new(timeProvider, TimeSpan.FromSeconds(5));

    /// <summary>
    /// Since the most recent access of a logged-in user's terminal (the kernel's tty layer stamps a terminal's access
    /// time as its user types) or of an input device (/dev/input/event*, mice, mouse*). Null, so that the governor goes
    /// by CPU load, when no one is logged in on a terminal, and when a graphical session runs: its keyboard and mouse
    /// are known to its display server only, and the input devices' access times alone are no witness, as the kernel
    /// does not stamp them when the display server reads them.
    /// </summary>
    public TimeSpan? InputIdle()
    {
        var logins = Logins();
        var terminals = logins.Select(l => LinuxMachineFiles.Terminal(l.Line)).OfType<string>().ToList();
        if (terminals.Count == 0 || logins.Any(l => l.Graphical))
        {
            return null;
        }
        DateTime? last = null;
        foreach (var device in terminals.Select(t => Path.Combine(root, "dev", t)).Concat(InputDevices()))
        {
            if (LastAccess(device) is { } accessed && (last is null || accessed > last))
            {
                last = accessed;
            }
        }
        if (last is not { } at)
        {
            return null;
        }
        var idle = timeProvider.GetUtcNow().UtcDateTime - at;
        return idle > TimeSpan.Zero ? idle : TimeSpan.Zero;
    }

    /// <summary>When a device (or any file) was last read, from its inode; null when it is not there (any more).</summary>
    internal static DateTime? LastAccess(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.LastAccessTimeUtc : null;
    }

    /// <summary>Other programs' load: the machine's busy time from /proc/stat less this process's own from /proc/self/stat.</summary>
    public double? OtherCpuLoad()
    {
        var machine = LinuxMachineFiles.MachineCpu(ReadText("proc/stat"));
        var own = LinuxMachineFiles.ProcessCpu(ReadText("proc/self/stat"));
        return machine is { } m && own is { } o ? _load.Add(new CpuCounters(m.Busy, m.Total, o)) : null;
    }

    public bool? OnBattery()
    {
        var folder = Path.Combine(root, "sys/class/power_supply");
        if (!Directory.Exists(folder))
        {
            return null;
        }
        var supplies = Directory.EnumerateFileSystemEntries(folder).Select(supply => new PowerSupply(
            ReadText(Path.Combine(supply, "type")) ?? "",
            ReadText(Path.Combine(supply, "scope")),
            ReadText(Path.Combine(supply, "online")),
            ReadText(Path.Combine(supply, "present")),
            ReadText(Path.Combine(supply, "status"))));
        return LinuxMachineFiles.OnBattery(supplies.ToList());
    }

    private IEnumerable<string> InputDevices()
    {
        var folder = Path.Combine(root, "dev/input");
        return Directory.Exists(folder)
            ? Directory.EnumerateFileSystemEntries(folder).Where(d => Path.GetFileName(d) is var name
                && (name.StartsWith("event", StringComparison.Ordinal) || name.StartsWith("mouse", StringComparison.Ordinal) || name == "mice"))
            : [];
    }

    /// <summary>The users logged in, from utmp and from systemd-logind's sessions (some systems keep only one of them).</summary>
    private List<Login> Logins()
    {
        List<Login> logins = [];
        foreach (var utmp in new[] { "run/utmp", "var/run/utmp" })
        {
            if (ReadBytes(Path.Combine(root, utmp)) is { } bytes)
            {
                logins.AddRange(LinuxMachineFiles.UtmpLogins(bytes));
                break;
            }
        }
        var sessions = Path.Combine(root, "run/systemd/sessions");
        if (Directory.Exists(sessions))
        {
            logins.AddRange(Directory.EnumerateFiles(sessions).Select(s => LinuxMachineFiles.Session(ReadText(s) ?? "")).OfType<Login>());
        }
        return logins;
    }

    private string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(Path.Combine(root, path)).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static byte[]? ReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

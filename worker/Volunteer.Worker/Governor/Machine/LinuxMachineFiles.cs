using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Volunteer.Worker.Governor.Machine;

/// <summary>The Linux files <see cref="LinuxMachineProbe"/> reads, parsed: each parser takes the file's content and never throws.</summary>
internal static class LinuxMachineFiles
{
    /// <summary>glibc's struct utmp on every 64-bit Linux and on 32-bit x86 and ARM alike.</summary>
    private const int UtmpEntrySize = 384;

    private const short UserProcess = 7;

    private const int UtmpLineOffset = 8;

    private const int UtmpLineLength = 32;

    /// <summary>
    /// The machine's CPU time from the "cpu" line of /proc/stat (clock ticks over all cores): busy is user, nice,
    /// system, irq, softirq and steal; total adds idle and iowait. Guest time is already within user and nice.
    /// </summary>
    public static (long Busy, long Total)? MachineCpu(string? procStat)
    {
        var line = procStat?.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        if (fields is not { Length: >= 4 })
        {
            return null;
        }
        var ticks = new long[8];
        for (var i = 0; i < Math.Min(ticks.Length, fields.Length); i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i]))
            {
                return null;
            }
        }
        // user nice system idle iowait irq softirq steal
        var busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
        return (busy, busy + ticks[3] + ticks[4]);
    }

    /// <summary>
    /// A process's own CPU time (utime + stime, clock ticks) from /proc/PID/stat. Its name, in parentheses, may hold
    /// spaces and parentheses itself, so the fields are counted from the last ')'.
    /// </summary>
    public static long? ProcessCpu(string? processStat)
    {
        var end = processStat?.LastIndexOf(')') ?? -1;
        if (end < 0)
        {
            return null;
        }
        // After the name: state (field 3) … utime (14), stime (15).
        var fields = processStat![(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 13
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            ? utime + stime
            : null;
    }

    /// <summary>The logins (user processes) a utmp file lists; an X display (ut_line ":0") is a graphical one.</summary>
    public static IReadOnlyList<Login> UtmpLogins(ReadOnlySpan<byte> utmp)
    {
        List<Login> logins = [];
        for (var at = 0; at + UtmpEntrySize <= utmp.Length; at += UtmpEntrySize)
        {
            var entry = utmp.Slice(at, UtmpEntrySize);
            if (BinaryPrimitives.ReadInt16LittleEndian(entry) != UserProcess)
            {
                continue;
            }
            var field = entry.Slice(UtmpLineOffset, UtmpLineLength);
            var length = field.IndexOf((byte)0);
            var line = Encoding.ASCII.GetString(length < 0 ? field : field[..length]);
            logins.Add(new Login(line, Graphical: line.StartsWith(':')));
        }
        return logins;
    }

    /// <summary>
    /// The login of a systemd-logind session file: its terminal (TTY=) and whether it is graphical (TYPE=x11, wayland,
    /// mir); null for a session that is neither (a service's, a cron job's).
    /// </summary>
    public static Login? Session(string session)
    {
        var fields = session.Split('\n').Select(l => l.Trim().Split('=', 2)).Where(f => f.Length == 2).ToLookup(f => f[0], f => f[1]);
        var tty = fields["TTY"].FirstOrDefault();
        var graphical = fields["TYPE"].FirstOrDefault() is "x11" or "wayland" or "mir";
        return graphical || tty is not null ? new Login(tty ?? "", graphical) : null;
    }

    /// <summary>A terminal under /dev named by a login; null for an X display (":0") or anything that is not a plain device name.</summary>
    public static string? Terminal(string line) =>
        line.Length > 0 && !line.StartsWith(':') && !line.Contains("..", StringComparison.Ordinal) && !line.StartsWith('/')
            && line.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '.')
            ? line
            : null;

    /// <summary>
    /// Whether the machine runs on battery: a system battery (not a wireless mouse's, whose scope is Device) is present,
    /// and it is discharging, or no external supply (Mains, USB) is online. Null when there are no supplies to tell.
    /// </summary>
    public static bool? OnBattery(IReadOnlyList<PowerSupply> supplies)
    {
        if (supplies.Count == 0)
        {
            return null;
        }
        var system = supplies.Where(s => s.Scope is null || !s.Scope.Equals("Device", StringComparison.OrdinalIgnoreCase)).ToList();
        var batteries = system.Where(s => s.Type == "Battery" && s.Present != "0").ToList();
        if (batteries.Count == 0)
        {
            return false;
        }
        if (batteries.Any(b => b.Status == "Discharging"))
        {
            return true;
        }
        // A laptop has several USB-C supplies and uses one at a time: it is on battery only when none is online.
        var external = system.Where(s => s.Type == "Mains" || s.Type.StartsWith("USB", StringComparison.Ordinal)).ToList();
        return external.Count > 0 && external.All(s => s.Online == "0");
    }
}

/// <summary>One entry of /sys/class/power_supply: its type, scope, online, present and status files (null when absent).</summary>
internal sealed record PowerSupply(string Type, string? Scope, string? Online, string? Present, string? Status);

/// <summary>A user logged in: the terminal under /dev it uses (ut_line, logind's TTY), and whether the session is graphical.</summary>
internal sealed record Login(string Line, bool Graphical);

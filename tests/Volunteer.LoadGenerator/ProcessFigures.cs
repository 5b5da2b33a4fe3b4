using System.Globalization;

namespace Volunteer.LoadGenerator;

/// <summary>CPU time and memory of another process, read from /proc (Linux).</summary>
public static class ProcessFigures
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static double CpuSeconds(int pid) => Stat(pid) is { } fields ? Ticks(fields, 11) + Ticks(fields, 12) : 0;

    /// <summary>
    /// CPU of a server that forks a process per connection (PostgreSQL): its own, its children's that ended (cutime and
    /// cstime, counted when it reaped them) and its living children's.
    /// </summary>
    public static double TreeCpuSeconds(int pid)
    {
        if (Stat(pid) is not { } own)
        {
            return 0;
        }
        var total = Ticks(own, 11) + Ticks(own, 12) + Ticks(own, 13) + Ticks(own, 14);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var child) && child != pid
                && Stat(child) is { } fields && fields[1] == pid.ToString(CultureInfo.InvariantCulture))
            {
                total += Ticks(fields, 11) + Ticks(fields, 12);
            }
        }
        return total;
    }

    /// <summary>The fields of /proc/PID/stat after the command name (which may contain spaces): the state is [0], the parent [1].</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null; // gone (or never was)
        }
    }

    private static double Ticks(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture) / TicksPerSecond;

    public static long RssBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    public static long PeakRssBytes(int pid) => StatusKilobytes(pid, "VmHWM:") * 1024;

    private static long StatusKilobytes(int? pid, string field)
    {
        if (!File.Exists($"/proc/{pid}/status"))
        {
            return 0;
        }
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}

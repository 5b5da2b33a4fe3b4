using System.Globalization;

namespace Volunteer.LoadGenerator;

/// <summary>CPU time and memory of another process, read from /proc (Linux).</summary>
public static class ProcessFigures
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static double CpuSeconds(int pid)
    {
        if (!File.Exists($"/proc/{pid}/stat"))
        {
            return 0;
        }
        // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th field.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

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

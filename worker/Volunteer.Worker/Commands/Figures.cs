using System.Globalization;

namespace Volunteer.Worker.Commands;

/// <summary>Sizes, rates and durations as people read them, for `status` and the live view.</summary>
public static class Figures
{
    /// <summary>A size in the largest binary unit it reaches, e.g. 1.5 MiB.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    public static string Rate(long bytesPerSecond) => bytesPerSecond == 0 ? "unbounded" : $"at most {Size(bytesPerSecond)}/s";

    /// <summary>A size limit where 0 means none.</summary>
    public static string Limit(long bytes) => bytes == 0 ? "no limit" : Size(bytes);

    /// <summary>A duration in its two largest units, e.g. 3m 10s, 2h 05m, 1d 04h.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours:00}h"
            : span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m {span.Seconds:00}s"
            : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#}s");
    }

    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction:0%}");
}

using System.Globalization;

namespace Volunteer.Dashboard.Components.Cluster;

/// <summary>How the cluster page writes sizes, shares and durations, whatever the server's culture.</summary>
internal static class ClusterFormat
{
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(unit == 0 ? "0" : "0.0", Culture) + " " + Units[unit];
    }

    public static string Percent(double percent) => percent.ToString("0.0", Culture) + " %";

    /// <summary>A short duration in milliseconds, with more digits when it is under one.</summary>
    public static string Milliseconds(TimeSpan duration) =>
        duration.TotalMilliseconds.ToString(duration.TotalMilliseconds < 1 ? "0.000" : "0.0", Culture) + " ms";

    public static string Count(long count) => count.ToString("#,0", Culture);

    public static string Clock(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss 'UTC'", Culture);

    /// <summary>The badge class of a silo status: silo-active, silo-joining, silo-dead…</summary>
    public static string StatusClass(string status) => "badge silo-" + status.ToLowerInvariant();
}

using System.Globalization;

namespace Volunteer.Worker.Settings;

/// <summary>Reads the values people write for sizes, durations and switches (2GiB, 90s, off).</summary>
public static class SettingValues
{
    private static readonly (string Suffix, long Factor)[] SizeUnits =
    [
        ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10),
        ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10), ("B", 1),
    ];

    private static readonly (string Suffix, TimeSpan Unit)[] DurationUnits =
    [
        ("ms", TimeSpan.FromMilliseconds(1)), ("s", TimeSpan.FromSeconds(1)), ("m", TimeSpan.FromMinutes(1)),
        ("h", TimeSpan.FromHours(1)), ("d", TimeSpan.FromDays(1)),
    ];

    /// <summary>A count of bytes, plain or with a binary unit (2GiB, 1.5G, 512K); never negative.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        foreach (var (suffix, factor) in SizeUnits)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                var number = text[..^suffix.Length].TrimEnd();
                if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
                {
                    return false;
                }
                var total = amount * factor;
                if (total >= long.MaxValue)
                {
                    return false;
                }
                bytes = (long)total;
                return true;
            }
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bytes);
    }

    /// <summary>
    /// A span of time: a number with a unit (250ms, 90s, 5m, 2h, 1d), a bare number of seconds, or a TimeSpan
    /// (00:01:30); never negative.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
        {
            text += "s";
        }
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }
        foreach (var (suffix, unit) in DurationUnits)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length].TrimEnd(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                && amount * unit.TotalSeconds < TimeSpan.MaxValue.TotalSeconds)
            {
                duration = TimeSpan.FromSeconds(amount * unit.TotalSeconds);
                return true;
            }
        }
        return false;
    }

    public static bool TryParseSwitch(string text, out bool on)
    {
        (var known, on) = text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" or "1" => (true, true),
            "false" or "no" or "off" or "0" => (true, false),
            _ => (false, false),
        };
        return known;
    }
}

using System.Globalization;

namespace Volunteer.Worker.Governor;

/// <summary>
/// The times of the week units may compute, in local time, from <see cref="ComputeLimits.ComputeWindows"/>: windows
/// separated by commas, each "HH:mm-HH:mm" (every day), "Mon-Fri HH:mm-HH:mm" or "Sat" / "Sat-Sun" (all day). A window
/// whose end is not after its start wraps midnight: "22:00-07:00" is from 22:00 to 07:00 the next morning, and
/// "Mon-Fri 18:00-08:00" starts on the days named and ends the morning after. No windows: always open.
/// </summary>
public sealed class ComputeWindows
{
    private const int MinutesPerDay = 24 * 60;
    private const int MinutesPerWeek = 7 * MinutesPerDay;

    /// <summary>Open spans as [start, end) minutes from Sunday 00:00, end at most two days past the week's end.</summary>
    private readonly IReadOnlyList<(int Start, int End)> _spans;

    private ComputeWindows(IReadOnlyList<(int Start, int End)> spans) => _spans = spans;

    /// <summary>No windows at all: units may always compute.</summary>
    public static ComputeWindows Always { get; } = new([]);

    public bool IsAlways => _spans.Count == 0;

    /// <summary>Parses the setting; throws FormatException saying what is wrong in it.</summary>
    public static ComputeWindows Parse(string? text) =>
        TryParse(text, out var windows, out var error) ? windows : throw new FormatException(error);

    public static bool TryParse(string? text, out ComputeWindows windows, out string error)
    {
        windows = Always;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        List<(int, int)> spans = [];
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryParseWindow(part, spans, out error))
            {
                return false;
            }
        }
        windows = new ComputeWindows(spans);
        return true;
    }

    /// <summary>Whether units may compute at this local time.</summary>
    public bool IsOpen(DateTime localTime)
    {
        if (IsAlways)
        {
            return true;
        }
        var minute = MinuteOfWeek(localTime);
        // A span that wraps past Saturday midnight covers the start of the week too.
        return _spans.Any(s => (minute >= s.Start && minute < s.End) || (minute + MinutesPerWeek >= s.Start && minute + MinutesPerWeek < s.End));
    }

    /// <summary>When the windows next open after <paramref name="localTime"/> (to the minute); null when always open.</summary>
    public DateTime? NextOpening(DateTime localTime)
    {
        if (IsAlways)
        {
            return null;
        }
        var minute = MinuteOfWeek(localTime);
        var wait = _spans.Min(s => ((s.Start - minute) % MinutesPerWeek + MinutesPerWeek) % MinutesPerWeek);
        var thisMinute = new DateTime(localTime.Year, localTime.Month, localTime.Day, localTime.Hour, localTime.Minute, 0, localTime.Kind);
        return thisMinute.AddMinutes(wait == 0 ? MinutesPerWeek : wait);
    }

    /// <summary>"22:00" when <paramref name="opening"/> falls on the day of <paramref name="now"/>, else "Mon 22:00".</summary>
    public static string Describe(DateTime opening, DateTime now) =>
        opening.Date == now.Date
            ? opening.ToString("HH:mm", CultureInfo.InvariantCulture)
            : $"{opening.DayOfWeek.ToString()[..3]} {opening.ToString("HH:mm", CultureInfo.InvariantCulture)}";

    private static int MinuteOfWeek(DateTime localTime) =>
        ((int)localTime.DayOfWeek * MinutesPerDay) + (localTime.Hour * 60) + localTime.Minute;

    private static bool TryParseWindow(string window, List<(int, int)> spans, out string error)
    {
        error = "";
        var words = window.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? days = null;
        string? hours = null;
        switch (words.Length)
        {
            case 1 when char.IsDigit(words[0][0]):
                hours = words[0];
                break;
            case 1:
                days = words[0];
                break;
            case 2:
                (days, hours) = (words[0], words[1]);
                break;
            default:
                error = $"'{window}' is not a window such as 22:00-07:00, Mon-Fri 18:00-08:00 or Sat-Sun.";
                return false;
        }
        var firstDays = new List<int>();
        if (days is null)
        {
            firstDays.AddRange(Enumerable.Range(0, 7));
        }
        else if (!TryParseDays(days, firstDays))
        {
            error = $"'{days}' in '{window}' is not a day or a range of days such as Mon, Mon-Fri or Fri-Mon.";
            return false;
        }
        int start;
        int end;
        if (hours is null)
        {
            (start, end) = (0, MinutesPerDay);
        }
        else if (hours.Split('-') is not [var from, var to] || !TryParseTime(from, out start) || !TryParseTime(to, out end))
        {
            error = $"'{hours}' in '{window}' is not a span of hours such as 22:00-07:00 (24-hour clock, 24:00 for midnight at the end).";
            return false;
        }
        else if (start == MinutesPerDay)
        {
            error = $"'{hours}' in '{window}' starts at 24:00; write 00:00.";
            return false;
        }
        if (end <= start)
        {
            // Wraps midnight: ends the next day (a window of the same start and end is a whole day).
            end += MinutesPerDay;
        }
        foreach (var day in firstDays)
        {
            spans.Add(((day * MinutesPerDay) + start, (day * MinutesPerDay) + end));
        }
        return true;
    }

    private static bool TryParseDays(string text, List<int> days)
    {
        var range = text.Split('-');
        if (range.Length > 2 || !TryParseDay(range[0], out var first))
        {
            return false;
        }
        var last = first;
        if (range.Length == 2 && !TryParseDay(range[1], out last))
        {
            return false;
        }
        // Fri-Mon runs through the weekend.
        for (var day = first; ; day = (day + 1) % 7)
        {
            days.Add(day);
            if (day == last)
            {
                return true;
            }
        }
    }

    private static bool TryParseDay(string text, out int day)
    {
        // Three letters or more of the English name, in any case: Mon, mon, Monday.
        day = text.Length >= 3 ? Array.FindIndex(Enum.GetNames<DayOfWeek>(), d => d.StartsWith(text, StringComparison.OrdinalIgnoreCase)) : -1;
        return day >= 0;
    }

    private static bool TryParseTime(string text, out int minutes)
    {
        minutes = 0;
        if (text.Split(':') is not [var h, var m] || m.Length != 2 || h.Length is < 1 or > 2
            || !int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var hour)
            || !int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var minute)
            || minute > 59 || hour > 24 || (hour == 24 && minute != 0))
        {
            return false;
        }
        minutes = (hour * 60) + minute;
        return true;
    }
}

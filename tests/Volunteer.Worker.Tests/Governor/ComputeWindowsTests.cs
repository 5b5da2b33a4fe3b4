using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Tests.Governor;

public sealed class ComputeWindowsTests
{
    // 2026-11-30 is a Monday.
    private static DateTime Local(int day, int hour, int minute = 0) => new DateTime(2026, 11, 30, hour, minute, 0, DateTimeKind.Unspecified).AddDays(day);

    [Theory]
    [InlineData(0, 21, 59, false)]
    [InlineData(0, 22, 0, true)]
    [InlineData(0, 23, 59, true)]
    [InlineData(1, 0, 0, true)]
    [InlineData(1, 6, 59, true)]
    [InlineData(1, 7, 0, false)]
    [InlineData(1, 12, 0, false)]
    public void A_window_that_ends_before_it_starts_wraps_midnight(int day, int hour, int minute, bool open)
    {
        Assert.Equal(open, ComputeWindows.Parse("22:00-07:00").IsOpen(Local(day, hour, minute)));
    }

    [Theory]
    // Monday 17:59 closed, 18:00 open, Tuesday 07:59 still open (from Monday evening), 08:00 closed.
    [InlineData(0, 17, 59, false)]
    [InlineData(0, 18, 0, true)]
    [InlineData(1, 7, 59, true)]
    [InlineData(1, 8, 0, false)]
    // Friday evening's window runs into Saturday morning; Saturday evening has none of its own.
    [InlineData(4, 23, 0, true)]
    [InlineData(5, 7, 59, true)]
    [InlineData(5, 8, 0, false)]
    [InlineData(5, 19, 0, false)]
    // Monday morning before 08:00 belongs to no weekday evening (Sunday has none).
    [InlineData(0, 7, 0, false)]
    public void A_day_range_with_hours_starts_on_the_days_named_and_ends_the_morning_after(int day, int hour, int minute, bool open)
    {
        Assert.Equal(open, ComputeWindows.Parse("Mon-Fri 18:00-08:00").IsOpen(Local(day, hour, minute)));
    }

    [Theory]
    [InlineData(4, 23, 59, false)]
    [InlineData(5, 0, 0, true)]
    [InlineData(6, 23, 59, true)]
    [InlineData(7, 0, 0, false)]
    public void A_day_range_alone_is_all_day(int day, int hour, int minute, bool open)
    {
        Assert.Equal(open, ComputeWindows.Parse("Sat-Sun").IsOpen(Local(day, hour, minute)));
    }

    [Theory]
    // Saturday 22:00 to Sunday 07:00 wraps past the end of the week (Sunday 00:00 starts it).
    [InlineData(5, 21, 0, false)]
    [InlineData(5, 23, 0, true)]
    [InlineData(6, 6, 0, true)]
    [InlineData(6, 8, 0, false)]
    public void A_window_that_wraps_the_end_of_the_week_covers_sunday_morning(int day, int hour, int minute, bool open)
    {
        Assert.Equal(open, ComputeWindows.Parse("sat 22:00-07:00").IsOpen(Local(day, hour, minute)));
    }

    [Fact]
    public void Several_windows_open_when_any_is_open()
    {
        var windows = ComputeWindows.Parse("Mon-Fri 18:00-08:00, Sat-Sun");

        Assert.Equal(
            [false, true, true, true, false],
            new[] { Local(2, 12), Local(2, 19), Local(5, 12), Local(6, 23), Local(7, 8) }.Select(windows.IsOpen));
    }

    [Fact]
    public void A_range_of_days_may_run_through_the_weekend()
    {
        var windows = ComputeWindows.Parse("Fri-Mon");

        Assert.Equal([true, false, false, false, true, true, true], Enumerable.Range(0, 7).Select(d => windows.IsOpen(Local(d, 12))));
    }

    [Fact]
    public void No_windows_is_always_open()
    {
        Assert.True(ComputeWindows.Parse("").IsAlways);
        Assert.True(ComputeWindows.Parse("  ").IsOpen(Local(3, 3)));
        Assert.Null(ComputeWindows.Parse(null).NextOpening(Local(3, 3)));
    }

    [Fact]
    public void Full_names_any_case_and_24_00_are_understood()
    {
        var windows = ComputeWindows.Parse("monday 20:00-24:00");

        Assert.Equal([false, true, true, false], new[] { Local(0, 19, 59), Local(0, 20), Local(0, 23, 59), Local(1, 0) }.Select(windows.IsOpen));
    }

    [Theory]
    [InlineData("22:00-07:00", 0, 12, 0, "2026-11-30 22:00")]
    [InlineData("22:00-07:00", 1, 7, 30, "2026-12-01 22:00")]
    [InlineData("Mon-Fri 18:00-08:00", 5, 9, 0, "2026-12-07 18:00")]
    [InlineData("Sat-Sun", 2, 9, 15, "2026-12-05 00:00")]
    [InlineData("Mon-Fri 18:00-08:00, Sat 10:00-12:00", 5, 9, 0, "2026-12-05 10:00")]
    public void The_next_opening_is_the_nearest_start_ahead(string text, int day, int hour, int minute, string expected)
    {
        var next = ComputeWindows.Parse(text).NextOpening(Local(day, hour, minute));

        Assert.Equal(expected, next?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_opening_is_told_by_its_time_on_the_same_day_and_by_day_and_time_later()
    {
        Assert.Equal("22:00", ComputeWindows.Describe(Local(0, 22), Local(0, 12)));
        Assert.Equal("Sat 00:00", ComputeWindows.Describe(Local(5, 0), Local(2, 9)));
    }

    [Theory]
    [InlineData("22-07", "'22-07' in '22-07' is not a span of hours such as 22:00-07:00 (24-hour clock, 24:00 for midnight at the end).")]
    [InlineData("22:00-25:00", "'22:00-25:00' in '22:00-25:00' is not a span of hours such as 22:00-07:00 (24-hour clock, 24:00 for midnight at the end).")]
    [InlineData("22:60-23:00", "'22:60-23:00' in '22:60-23:00' is not a span of hours such as 22:00-07:00 (24-hour clock, 24:00 for midnight at the end).")]
    [InlineData("Mon-Fry 18:00-08:00", "'Mon-Fry' in 'Mon-Fry 18:00-08:00' is not a day or a range of days such as Mon, Mon-Fri or Fri-Mon.")]
    [InlineData("Mo 18:00-08:00", "'Mo' in 'Mo 18:00-08:00' is not a day or a range of days such as Mon, Mon-Fri or Fri-Mon.")]
    [InlineData("Mon-Fri 18:00 08:00", "'Mon-Fri 18:00 08:00' is not a window such as 22:00-07:00, Mon-Fri 18:00-08:00 or Sat-Sun.")]
    [InlineData("22:00-07:00,", "'' is not a window such as 22:00-07:00, Mon-Fri 18:00-08:00 or Sat-Sun.")]
    [InlineData("24:00-07:00", "'24:00-07:00' in '24:00-07:00' starts at 24:00; write 00:00.")]
    [InlineData("Mon-Tue-Wed", "'Mon-Tue-Wed' in 'Mon-Tue-Wed' is not a day or a range of days such as Mon, Mon-Fri or Fri-Mon.")]
    public void Bad_text_is_refused_saying_what_is_wrong(string text, string error)
    {
        Assert.False(ComputeWindows.TryParse(text, out _, out var said));
        Assert.Equal(error, said);
        Assert.Equal(error, Assert.Throws<FormatException>(() => ComputeWindows.Parse(text)).Message);
    }
}

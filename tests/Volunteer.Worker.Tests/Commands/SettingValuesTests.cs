using Volunteer.Worker.Settings;

namespace Volunteer.Worker.Tests.Commands;

public sealed class SettingValuesTests
{
    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    [InlineData("10 B", 10L)]
    public void Sizes_are_read_in_bytes_or_binary_units(string text, long bytes)
    {
        Assert.True(SettingValues.TryParseSize(text, out var read));
        Assert.Equal(bytes, read);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("lots")]
    [InlineData("GiB")]
    [InlineData("99999999999TiB")]
    public void What_is_not_a_size_is_refused(string text) => Assert.False(SettingValues.TryParseSize(text, out _));

    [Theory]
    [InlineData("90s", 90.0)]
    [InlineData("5m", 300.0)]
    [InlineData("2h", 7200.0)]
    [InlineData("1d", 86400.0)]
    [InlineData("250ms", 0.25)]
    [InlineData("45", 45.0)]
    [InlineData("00:01:30", 90.0)]
    public void Durations_are_read_with_a_unit_as_a_bare_number_of_seconds_or_as_a_time_span(string text, double seconds)
    {
        Assert.True(SettingValues.TryParseDuration(text, out var read));
        Assert.Equal(TimeSpan.FromSeconds(seconds), read);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("-00:01:00")]
    [InlineData("5 fortnights")]
    public void What_is_not_a_duration_is_refused(string text) => Assert.False(SettingValues.TryParseDuration(text, out _));

    [Fact]
    public void Each_setting_names_a_property_of_the_settings_it_sets()
    {
        Assert.All(AgentSettings.Limits, s => Assert.NotNull(typeof(Volunteer.Worker.Governor.ComputeLimits).GetProperty(s.Key)));
        Assert.All(AgentSettings.AtStart, s => Assert.NotNull(typeof(WorkerOptions).GetProperty(s.Key)));
        // Every limit the owner has can be set: none is left out of the command line.
        Assert.Equal(typeof(Volunteer.Worker.Governor.ComputeLimits).GetProperties().Select(p => p.Name).Order(), AgentSettings.Limits.Select(s => s.Key).Order());
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Tests.Governor;

public sealed class ComputeLimitsTests
{
    [Fact]
    public void Limits_are_bound_from_the_worker_section()
    {
        var limits = ComputeLimits.From(Configuration(
            ("Worker:Slots", "3"), ("Worker:CpuPercent", "50"), ("Worker:ComputeWindows", "Mon-Fri 18:00-08:00, Sat-Sun"),
            ("Worker:PauseWhenInUse", "true"), ("Worker:MemoryPerUnitBytes", "1073741824"), ("Worker:StateDirectory", "/var/lib/w")));

        Assert.Equal((3, 50, "Mon-Fri 18:00-08:00, Sat-Sun", true, 1L << 30), (limits.Slots, limits.CpuPercent, limits.ComputeWindows, limits.PauseWhenInUse, limits.MemoryPerUnitBytes));
        Assert.False(limits.Windows().IsAlways);
    }

    [Fact]
    public void Without_settings_the_limits_leave_the_machine_to_the_agent_but_on_battery()
    {
        var limits = ComputeLimits.From(Configuration());

        Assert.Equal((Environment.ProcessorCount, 100, 0L, 0L, "", false, true), (limits.Slots, limits.CpuPercent, limits.MemoryPerUnitBytes, limits.DiskBytes, limits.ComputeWindows, limits.PauseWhenInUse, limits.PauseOnBattery));
    }

    [Fact]
    public void Every_wrong_setting_is_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => ComputeLimits.From(Configuration(
            ("Worker:CpuPercent", "0"), ("Worker:InUseCpuPercent", "101"), ("Worker:ComputeWindows", "nights"))));

        Assert.Equal(
            ["DataAnnotation validation failed for 'ComputeLimits' members: 'CpuPercent' with the error: 'The field CpuPercent must be between 1 and 100.'.",
             "DataAnnotation validation failed for 'ComputeLimits' members: 'ComputeWindows' with the error: 'The field ComputeWindows is wrong: " +
             "'nights' in 'nights' is not a day or a range of days such as Mon, Mon-Fri or Fri-Mon.'.",
             "DataAnnotation validation failed for 'ComputeLimits' members: 'InUseCpuPercent' with the error: 'The field InUseCpuPercent must be between 1 and 100.'."],
            invalid.Failures);
    }

    [Fact]
    public void Compute_windows_that_do_not_parse_are_named_with_what_is_wrong()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => ComputeLimits.From(Configuration(("Worker:ComputeWindows", "Mon-Fri 18:00-8"))));

        Assert.Equal(
            ["DataAnnotation validation failed for 'ComputeLimits' members: 'ComputeWindows' with the error: 'The field ComputeWindows is wrong: " +
             "'18:00-8' in 'Mon-Fri 18:00-8' is not a span of hours such as 22:00-07:00 (24-hour clock, 24:00 for midnight at the end).'."],
            invalid.Failures);
    }

    [Fact]
    public void A_setting_not_of_its_type_is_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => ComputeLimits.From(Configuration(("Worker:CpuPercent", "half"))));

        Assert.Equal(["Failed to convert configuration value 'half' at 'Worker:CpuPercent' to type 'System.Int32'."], invalid.Failures);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}

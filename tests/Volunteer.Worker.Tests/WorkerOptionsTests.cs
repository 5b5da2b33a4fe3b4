using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Volunteer.Worker.Tests;

public sealed class WorkerOptionsTests
{
    [Fact]
    public void Settings_are_bound_from_the_worker_section()
    {
        var options = WorkerOptions.From(Configuration(("Worker:Slots", "3"), ("Worker:StatusInterval", "00:00:02"), ("Worker:StateDirectory", "/var/lib/w")));

        Assert.Equal((3, TimeSpan.FromSeconds(2), "/var/lib/w"), (options.Slots, options.StatusInterval, options.StateDirectory));
    }

    [Fact]
    public void The_account_key_and_the_source_address_are_bound_from_the_worker_section()
    {
        var options = WorkerOptions.From(Configuration(("Worker:AccountKey", "the-account-key"), ("Worker:SourceAddress", "127.0.0.57")));

        Assert.Equal(("the-account-key", "127.0.0.57"), (options.AccountKey, options.SourceAddress));
    }

    [Fact]
    public void A_source_address_that_is_not_an_ip_address_is_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => WorkerOptions.From(Configuration(("Worker:SourceAddress", "eth0"))));

        Assert.Equal(["DataAnnotation validation failed for 'WorkerOptions' members: 'SourceAddress' with the error: 'The field SourceAddress must be an IP address of this host, not 'eth0'.'."],
            invalid.Failures);
    }

    [Fact]
    public void A_setting_out_of_its_range_is_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => WorkerOptions.From(Configuration(("Worker:Slots", "0"))));

        Assert.Equal(["DataAnnotation validation failed for 'WorkerOptions' members: 'Slots' with the error: 'The field Slots must be between 1 and 4096.'."],
            invalid.Failures);
    }

    [Fact]
    public void A_setting_not_of_its_type_is_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => WorkerOptions.From(Configuration(("Worker:Slots", "many"))));

        Assert.Equal(["Failed to convert configuration value 'many' at 'Worker:Slots' to type 'System.Int32'."], invalid.Failures);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}

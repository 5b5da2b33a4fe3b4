using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Commands;

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

    [Fact]
    public void The_peer_settings_have_their_defaults()
    {
        var options = WorkerOptions.From(Configuration());

        Assert.Equal((true, 0, null, 0L, 10L * 1024 * 1024 * 1024), (options.Serve, options.PeerPort, options.PeerAddress, options.UploadBytesPerSecond, options.CacheBytes));
        Assert.Equal((4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)), (options.FetchConcurrency, options.PeerStallTimeout, options.RelayAfter));
        Assert.Equal(IPAddress.Any, options.PeerListenAddress());
    }

    [Fact]
    public void The_peer_endpoint_listens_on_the_peer_address_else_the_source_address()
    {
        Assert.Equal(IPAddress.Parse("127.0.0.9"), WorkerOptions.From(Configuration(("Worker:SourceAddress", "127.0.0.9"))).PeerListenAddress());
        Assert.Equal(IPAddress.Parse("127.0.0.8"),
            WorkerOptions.From(Configuration(("Worker:SourceAddress", "127.0.0.9"), ("Worker:PeerAddress", "127.0.0.8"))).PeerListenAddress());
    }

    [Fact]
    public void The_command_lines_peer_switches_set_the_peer_settings()
    {
        var configuration = new CommandLine(TextWriter.Null, TextWriter.Null).ConfigurationOf(
            ["run", "--no-serve", "--peer-port", "40123", "--peer-address", "127.0.0.7", "--upload-limit", "65536", "--cache-size", "1MiB", "--slots", "2"]);

        var options = WorkerOptions.From(configuration);

        Assert.Equal((false, 40123, "127.0.0.7", 65536L, 1048576L, 2),
            (options.Serve, options.PeerPort, options.PeerAddress, options.UploadBytesPerSecond, options.CacheBytes, options.Slots));
    }

    [Fact]
    public void Peer_settings_out_of_range_or_not_an_address_are_named()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => WorkerOptions.From(Configuration(
            ("Worker:PeerPort", "65536"), ("Worker:UploadBytesPerSecond", "-1"), ("Worker:CacheBytes", "-1"), ("Worker:FetchConcurrency", "0"))));
        var notAnAddress = Assert.Throws<OptionsValidationException>(() => WorkerOptions.From(Configuration(("Worker:PeerAddress", "localhost"))));

        Assert.Equal(
        [
            "DataAnnotation validation failed for 'WorkerOptions' members: 'CacheBytes' with the error: 'The field CacheBytes must be between 0 and 9223372036854775807.'.",
            "DataAnnotation validation failed for 'WorkerOptions' members: 'PeerPort' with the error: 'The field PeerPort must be between 0 and 65535.'.",
            "DataAnnotation validation failed for 'WorkerOptions' members: 'UploadBytesPerSecond' with the error: 'The field UploadBytesPerSecond must be between 0 and 9223372036854775807.'.",
            "DataAnnotation validation failed for 'WorkerOptions' members: 'FetchConcurrency' with the error: 'The field FetchConcurrency must be between 1 and 64.'.",
        ], invalid.Failures);
        Assert.Equal(
            ["DataAnnotation validation failed for 'WorkerOptions' members: 'PeerAddress' with the error: 'The field PeerAddress must be an IP address of this host, not 'localhost'.'."],
            notAnAddress.Failures);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}

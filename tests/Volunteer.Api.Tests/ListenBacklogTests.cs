using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Volunteer.Api.Tests;

/// <summary>
/// The silo's listen backlog: volunteers connect afresh for each sync, and Kestrel's own 512 overflowed at 100,000 of
/// them (README, the population benchmark). The setting reaches the socket transport; a backlog of 0 is refused at start.
/// </summary>
public sealed class ListenBacklogTests
{
    [Fact]
    public async Task The_listen_backlog_is_4096_unless_set()
    {
        await using var factory = new CoordinatorFactory();
        _ = factory.CreateClient();

        Assert.Equal(4096, factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
    }

    [Fact]
    public async Task The_listen_backlog_is_the_one_set()
    {
        await using var factory = new SettingsCoordinatorFactory(new Dictionary<string, string> { ["Volunteer:ListenBacklog"] = "1000" });
        _ = factory.CreateClient();

        Assert.Equal(1000, factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
    }

    [Fact]
    public async Task A_backlog_of_none_stops_the_coordinator_from_starting()
    {
        await using var factory = new SettingsCoordinatorFactory(new Dictionary<string, string> { ["Volunteer:ListenBacklog"] = "0" });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("ListenBacklog", refused.Message, StringComparison.Ordinal);
    }
}

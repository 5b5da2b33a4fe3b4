using Microsoft.Extensions.Options;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>A coordinator announcing the latest worker agent release (Volunteer:LatestAgentVersion) in every sync answer.</summary>
public sealed class AgentReleaseTests(AnnouncingCoordinatorFactory announcing, CoordinatorFactory plain)
    : IClassFixture<AnnouncingCoordinatorFactory>, IClassFixture<CoordinatorFactory>
{
    [Fact]
    public async Task Every_sync_answer_announces_the_configured_release()
    {
        using var worker = await SimulatedWorker.AttachAsync(announcing, "announced-to");

        var first = await worker.SyncAsync(new SyncRequest());
        var second = await worker.SyncAsync(new SyncRequest(RequestUnits: 1));

        var expected = new AgentRelease(AnnouncingCoordinatorFactory.Version, new Uri(AnnouncingCoordinatorFactory.Download));
        Assert.Equal(expected, first.LatestAgent);
        Assert.Equal(expected, second.LatestAgent);
    }

    [Fact]
    public async Task Without_the_setting_no_release_is_announced()
    {
        using var worker = await SimulatedWorker.AttachAsync(plain, "not-announced-to");

        var answer = await worker.SyncAsync(new SyncRequest());

        Assert.Null(answer.LatestAgent);
    }

    [Theory]
    [InlineData("Volunteer:LatestAgentVersion", "latest", "Volunteer:LatestAgentVersion 'latest' is not a version such as 1.4.0")]
    [InlineData("Volunteer:LatestAgentVersion", "v1.4", "Volunteer:LatestAgentVersion 'v1.4' is not a version such as 1.4.0")]
    [InlineData("Volunteer:LatestAgentDownload", "https://volunteer.example/agent", "Volunteer:LatestAgentDownload is set but Volunteer:LatestAgentVersion is not")]
    public async Task A_bad_setting_stops_the_coordinator_from_starting_with_what_is_wrong(string key, string value, string message)
    {
        await using var factory = new SettingsCoordinatorFactory(new Dictionary<string, string> { [key] = value });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_download_that_is_not_an_http_url_stops_the_coordinator_from_starting()
    {
        await using var factory = new SettingsCoordinatorFactory(new Dictionary<string, string>
        {
            ["Volunteer:LatestAgentVersion"] = "1.4.0",
            ["Volunteer:LatestAgentDownload"] = "file:///etc/passwd",
        });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Volunteer:LatestAgentDownload 'file:///etc/passwd' is not an absolute http(s) URL.", refused.Message, StringComparison.Ordinal);
    }
}

/// <summary>A coordinator that announces agent 1.4.0 and where to get it.</summary>
public sealed class AnnouncingCoordinatorFactory : CoordinatorFactory
{
    public const string Version = "1.4.0";

    public const string Download = "https://volunteer.example/agent/1.4.0/";

    public AnnouncingCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:LatestAgentVersion"] = Version, ["Volunteer:LatestAgentDownload"] = Download })
    {
    }
}

/// <summary>A coordinator with the given settings, for a test that starts (or fails to start) one of its own.</summary>
public sealed class SettingsCoordinatorFactory(IReadOnlyDictionary<string, string> settings) : CoordinatorFactory(settings);

using System.Net;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// Which address a request counts as coming from, on a real coordinator whose attach limit is one per address
/// per minute: the client a trusted proxy forwards, and otherwise the connection's peer, whatever the request says.
/// Every caller connects from a loopback address of its own, so the coordinator sees real, distinct peers.
/// </summary>
public sealed class ForwardedClientAddressTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = TestFolders.Create("forwarded");
    private readonly IPAddress _proxy = LoopbackSources.Next();
    private readonly IPAddress _otherPeer = LoopbackSources.Next();
    private CoordinatorProcess? _coordinator;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_attach_budget()
    {
        var coordinator = await StartAsync(trustedProxy: _proxy.ToString());

        Assert.Equal(HttpStatusCode.Created, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.1"));
        Assert.Equal(HttpStatusCode.Created, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.1"));
        // The proxy appends the client it saw; whatever the client wrote before it is not believed.
        Assert.Equal(HttpStatusCode.TooManyRequests, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.3, 198.51.100.2"));
    }

    [Fact]
    public async Task From_a_peer_that_is_not_a_trusted_proxy_the_forwarded_address_is_ignored_even_on_loopback()
    {
        // ASP.NET Core's own defaults would trust any loopback peer, this one included.
        var coordinator = await StartAsync(trustedProxy: _proxy.ToString());

        Assert.Equal(HttpStatusCode.Created, await AttachAsync(_otherPeer, coordinator, forwardedFor: "198.51.100.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AttachAsync(_otherPeer, coordinator, forwardedFor: "198.51.100.2"));
    }

    [Fact]
    public async Task Without_trusted_proxies_the_forwarded_address_is_ignored()
    {
        var coordinator = await StartAsync(trustedProxy: null);

        Assert.Equal(HttpStatusCode.Created, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AttachAsync(_proxy, coordinator, forwardedFor: "198.51.100.2"));
    }

    [Fact]
    public async Task A_trusted_proxy_that_is_not_an_ip_address_stops_the_coordinator_at_start_up()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(trustedProxy: "proxy.example"));

        Assert.Contains("exited during start-up", refused.Message, StringComparison.Ordinal);
        Assert.Contains(_coordinator!.Lines, line => line.Contains("Volunteer:TrustedProxies lists 'proxy.example', which is not an IP address.", StringComparison.Ordinal));
    }

    private async Task<CoordinatorProcess> StartAsync(string? trustedProxy)
    {
        var settings = new Dictionary<string, string> { ["Volunteer__AttachesPerAddressPerMinute"] = "1" };
        if (trustedProxy is not null)
        {
            settings["Volunteer__TrustedProxies__0"] = trustedProxy;
        }
        _coordinator = new CoordinatorProcess("coordinator", Path.Combine(_folder, "data"), "forwarded-test-key", settings);
        await _coordinator.StartAsync();
        return _coordinator;
    }

    /// <summary>An attach sent from <paramref name="peer"/> with an X-Forwarded-For header; the answer's status.</summary>
    private static async Task<HttpStatusCode> AttachAsync(IPAddress peer, CoordinatorProcess coordinator, string forwardedFor)
    {
        using var http = LoopbackSources.Client(peer);
        http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        using var host = new SimulatedHost(http, coordinator.BaseAddress);
        using var response = await host.PostAttachAsync("forwarded", cores: 1);
        return response.StatusCode;
    }
}

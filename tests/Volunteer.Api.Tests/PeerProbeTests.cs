using Volunteer.Coordinator.Peers;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>The coordinator's connect-back to a peer endpoint, against a real one on loopback.</summary>
public sealed class PeerProbeTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly PeerProbe _probe = new(TimeProvider.System);
    private readonly Guid _workerId = Guid.NewGuid();
    private PeerEndpointDouble _endpoint = null!;

    public async Task InitializeAsync() => _endpoint = await PeerEndpointDouble.StartAsync("127.0.2.1", () => _workerId);

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        _probe.Dispose();
    }

    [Fact]
    public async Task An_endpoint_answering_as_the_worker_is_reached() =>
        Assert.True(await _probe.ReachesAsync(_endpoint.Endpoint, _workerId, Timeout));

    [Fact]
    public async Task An_endpoint_answering_as_another_worker_is_not_reached() =>
        Assert.False(await _probe.ReachesAsync(_endpoint.Endpoint, Guid.NewGuid(), Timeout));

    [Fact]
    public async Task A_port_nothing_listens_on_is_not_reached()
    {
        var port = FreePort.Next();

        Assert.False(await _probe.ReachesAsync($"http://127.0.2.1:{port}/", _workerId, Timeout));
    }

    [Fact]
    public async Task A_server_that_is_no_peer_endpoint_is_not_reached() =>
        // Kestrel answers 404 under a base path it does not serve.
        Assert.False(await _probe.ReachesAsync(_endpoint.Endpoint + "elsewhere/", _workerId, Timeout));
}

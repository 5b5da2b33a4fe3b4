using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Peers;

/// <summary>
/// The coordinator's connect-back to a worker's peer endpoint: an endpoint is listed only once it answered here with
/// its own worker id, so a worker behind NAT (or one that named a port it does not serve on) is never handed out.
/// </summary>
public sealed class PeerProbe(TimeProvider time) : IDisposable
{
    /// <summary>A hello is a worker id; anything much larger is not a hello.</summary>
    private const int MaxHelloBytes = 4096;

    // Straight to the worker: no proxy of the coordinator's host, no redirect to anywhere the worker would like.
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(10),
    })
    {
        MaxResponseContentBufferSize = MaxHelloBytes,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>True when <paramref name="endpoint"/> answers <see cref="PeerRoutes.Hello"/> as <paramref name="workerId"/> within <paramref name="timeout"/>.</summary>
    public async Task<bool> ReachesAsync(string endpoint, Guid workerId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        try
        {
            using var response = await _http.GetAsync(new Uri(new Uri(endpoint), PeerRoutes.Hello), deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
            var hello = await response.Content.ReadFromJsonAsync<PeerHello>(ProtocolJson.Options, deadline.Token);
            return hello?.WorkerId == workerId;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or NotSupportedException or UriFormatException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}

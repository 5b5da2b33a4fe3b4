using System.Net;
using System.Net.Sockets;

namespace Volunteer.Testing;

/// <summary>
/// A TCP forwarder on a loopback port of its own to one target: the way a test puts a link between a worker and its
/// coordinator that it can cut. Once <see cref="StopAsync"/> has run, the port refuses connections and every
/// connection it carried is closed, as when a volunteer's network to the project goes down.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;

    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy as an http base URL, to give a worker in place of its coordinator's.</summary>
    public Uri Address { get; }

    /// <summary>Whether it still forwards.</summary>
    public bool IsRunning => !_stopping.IsCancellationRequested;

    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
            _connections.Clear();
        }
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                client.Dispose();
                upstream.Dispose();
                return;
            }
            _connections.Add(client);
            _connections.Add(upstream);
        }
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
            var inbound = client.GetStream();
            var outbound = upstream.GetStream();
            // Either direction ending ends the pair, as a cut link would.
            await Task.WhenAny(inbound.CopyToAsync(outbound, _stopping.Token), outbound.CopyToAsync(inbound, _stopping.Token));
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
            lock (_gate)
            {
                _connections.Remove(client);
                _connections.Remove(upstream);
            }
        }
    }
}

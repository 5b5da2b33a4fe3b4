using System.Net;
using System.Net.Sockets;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The connections the agent opens to its coordinators (attach and sync alike) and to its peers. With a source
/// address (<see cref="WorkerOptions.SourceAddress"/>) each socket is bound to it before it connects, so the project
/// and the peers see this host at that address: the network the project tells hosts apart by, and the one it
/// rate-limits attaches by.
/// </summary>
public static class CoordinatorConnections
{
    public static SocketsHttpHandler Handler(WorkerOptions options)
    {
        var handler = new SocketsHttpHandler();
        if (options.SourceAddress is { } configured)
        {
            var source = IPAddress.Parse(configured);
            handler.ConnectCallback = (context, cancellationToken) => ConnectFromAsync(source, context.DnsEndPoint, cancellationToken);
        }
        return handler;
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress source, DnsEndPoint coordinator, CancellationToken cancellationToken)
    {
        // NoDelay as the handler's own connections have it: a sync is one small request awaiting its answer.
        var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(coordinator, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

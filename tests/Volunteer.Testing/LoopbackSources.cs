using System.Net;
using System.Net.Sockets;

namespace Volunteer.Testing;

/// <summary>
/// Source addresses that make simulated volunteer hosts on one machine look like hosts on different networks:
/// the coordinator never gives two replicas of a unit to one IPv4 /24, and the whole of 127.0.0.0/8 is loopback
/// on Linux, so each host connects from a /24 of its own and the placement rules stay on.
/// </summary>
public static class LoopbackSources
{
    /// <summary>Hosts that fit: the third and second octets count up from 127.1.0.1 to 127.254.255.1.</summary>
    public const int Capacity = 254 * 256;

    private static int _handedOut;

    /// <summary>
    /// An address no earlier call in this process returned, in a /24 of its own: host n (from 0) gets
    /// 127.(1 + n / 256).(n % 256).1, never anything in 127.0.0.0/16, where the coordinators listen.
    /// </summary>
    public static IPAddress Next()
    {
        var host = Interlocked.Increment(ref _handedOut) - 1;
        return host < Capacity
            ? new IPAddress([127, (byte)(1 + host / 256), (byte)(host % 256), 1])
            : throw new InvalidOperationException($"Only {Capacity} loopback /24 networks are handed out in one process.");
    }

    /// <summary>
    /// The address of volunteer <paramref name="n"/> of a population larger than <see cref="Capacity"/>: the first
    /// <see cref="Capacity"/> volunteers each get a /24 of their own (host 1, as <see cref="Next"/> hands out), the next
    /// as many share those networks as host 2, and so on up to host 254: 16.5 million addresses, none in 127.0.0.0/16.
    /// Not shared with <see cref="Next"/>: a process uses one or the other.
    /// </summary>
    public static IPAddress OfPopulation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(n, Capacity * 254);
        var network = n % Capacity;
        return new IPAddress([127, (byte)(1 + network / 256), (byte)(network % 256), (byte)(1 + n / Capacity)]);
    }

    /// <summary>
    /// A handler whose every connection leaves from <paramref name="source"/>. Its pool keeps connections alive
    /// for reuse, and since it holds no other host's connections, no request ever leaves from another address.
    /// </summary>
    public static SocketsHttpHandler Handler(IPAddress source) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>An HTTP client of its own for one host, connecting from <paramref name="source"/>.</summary>
    public static HttpClient Client(IPAddress source, Uri? baseAddress = null) => new(Handler(source)) { BaseAddress = baseAddress };
}

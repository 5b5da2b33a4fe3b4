using System.Net;
using System.Net.Sockets;

namespace Volunteer.Testing;

/// <summary>
/// Loopback TCP ports nobody was listening on a moment ago, from below the kernel's ephemeral range (32768 and up here):
/// a port the OS picks for a listener comes from that range, and once released any outgoing connection (a worker's, a
/// driver's) may take it as its own source port before the test's server binds it ("Address already in use", seen in
/// CI when a silo started).
/// </summary>
public static class FreePort
{
    private const int First = 20000, Last = 32767;

    public static int Next() => Next(1)[0];

    /// <summary>Distinct ports: each is picked while the others are still held.</summary>
    public static int[] Next(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            while (listeners.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, Random.Shared.Next(First, Last + 1));
                try
                {
                    listener.Start();
                    listeners.Add(listener);
                }
                catch (SocketException)
                {
                    listener.Dispose(); // taken: try another
                }
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }
}

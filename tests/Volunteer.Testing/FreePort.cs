using System.Net;
using System.Net.Sockets;

namespace Volunteer.Testing;

/// <summary>Loopback TCP ports nobody was listening on a moment ago, picked by the OS.</summary>
public static class FreePort
{
    public static int Next() => Next(1)[0];

    /// <summary>Distinct ports: each is picked while the others are still held.</summary>
    public static int[] Next(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }
}

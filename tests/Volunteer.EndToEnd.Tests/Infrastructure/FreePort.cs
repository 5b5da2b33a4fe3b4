using System.Net;
using System.Net.Sockets;

namespace Volunteer.EndToEnd.Tests;

public static class FreePort
{
    /// <summary>A loopback TCP port nobody was listening on a moment ago (the OS picks it).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Several distinct free ports.</summary>
    public static int[] Next(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            ports.Add(Next());
        }
        return [.. ports];
    }
}

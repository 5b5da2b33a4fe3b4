using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Volunteer.Coordinator.Peers;

/// <summary>A worker's peer endpoint: the address its sync came from with the port it advertised.</summary>
public static class PeerEndpoint
{
    /// <summary>The client address as the index keeps it: an IPv4 client seen through an IPv6 socket as IPv4, no scope.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        // A scope names an interface of the coordinator's host, meaningless in a URL others use.
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
    }

    /// <summary>The endpoint's base URL, e.g. http://203.0.113.7:40123/ or http://[2001:db8::7]:40123/.</summary>
    public static string Of(IPAddress address, int port)
    {
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return $"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}/";
    }
}

using System.Net;
using System.Net.Sockets;
using Volunteer.Coordinator.Settings;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// The network a request comes from, as replica placement compares them: the client's IPv4 /24 or IPv6 /48
/// (configurable), written like "203.0.113.0/24". The address is the connection's peer, or the forwarded client
/// of a trusted proxy (the forwarded-headers middleware has replaced it by then).
/// </summary>
public static class ClientNetwork
{
    /// <summary>The request's network; null when placement does not separate networks or the address is unknown.</summary>
    public static string? Of(HttpContext http, VolunteerOptions options) =>
        options.SeparateNetworks && http.Connection.RemoteIpAddress is { } address ? Of(address, options) : null;

    public static string Of(IPAddress address, VolunteerOptions options)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var prefix = address.AddressFamily == AddressFamily.InterNetwork ? options.Ipv4NetworkPrefix : options.Ipv6NetworkPrefix;
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return $"{new IPAddress(bytes)}/{prefix}";
    }
}

using System.Net;
using Microsoft.AspNetCore.Http;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Settings;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

public sealed class ClientNetworkTests
{
    private static readonly VolunteerOptions Defaults = new();

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("203.0.113.0", "203.0.113.0/24")]
    [InlineData("127.1.2.1", "127.1.2.0/24")]
    [InlineData("2001:db8:1234:5678:9abc::1", "2001:db8:1234::/48")]
    [InlineData("2001:db8:1234:ffff:ffff:ffff:ffff:ffff", "2001:db8:1234::/48")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0/24")]
    public void An_address_is_placed_by_its_ipv4_24_or_ipv6_48(string address, string network)
    {
        Assert.Equal(network, ClientNetwork.Of(IPAddress.Parse(address), Defaults));
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.112.0/20")]
    [InlineData("2001:db8:1234:5678::1", "2001:db8:1234:5600::/56")]
    public void The_prefixes_are_settings_and_may_end_inside_a_byte(string address, string network)
    {
        var options = new VolunteerOptions { Ipv4NetworkPrefix = 20, Ipv6NetworkPrefix = 56 };

        Assert.Equal(network, ClientNetwork.Of(IPAddress.Parse(address), options));
    }

    [Fact]
    public void A_request_is_placed_by_its_connections_peer_address()
    {
        var http = new DefaultHttpContext { Connection = { RemoteIpAddress = IPAddress.Parse("198.51.100.9") } };

        Assert.Equal("198.51.100.0/24", ClientNetwork.Of(http, Defaults));
    }

    [Fact]
    public void A_request_has_no_network_when_placement_does_not_separate_networks_or_its_address_is_unknown()
    {
        var known = new DefaultHttpContext { Connection = { RemoteIpAddress = IPAddress.Parse("198.51.100.9") } };

        Assert.Null(ClientNetwork.Of(known, new VolunteerOptions { SeparateNetworks = false }));
        Assert.Null(ClientNetwork.Of(new DefaultHttpContext(), Defaults));
    }

    [Fact]
    public void The_test_harness_loopback_sources_are_each_a_network_of_their_own_away_from_the_coordinators()
    {
        var networks = Enumerable.Range(0, 600).Select(_ => ClientNetwork.Of(LoopbackSources.Next(), Defaults)).ToList();

        Assert.Equal(600, networks.Distinct().Count());
        Assert.All(networks, n => Assert.StartsWith("127.", n, StringComparison.Ordinal));
        Assert.DoesNotContain(networks, n => n.StartsWith("127.0.", StringComparison.Ordinal));
    }
}

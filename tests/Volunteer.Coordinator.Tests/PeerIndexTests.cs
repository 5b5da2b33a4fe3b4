using System.Net;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Peers;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The peer index's pure parts: a host's endpoint, connect-back and holdings as the index keeps them
/// (<see cref="IndexedPeer"/>), and which holders a worker about to fetch a blob is told of (<see cref="HolderPicking"/>).
/// </summary>
public sealed class PeerIndexTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress Address = IPAddress.Parse("203.0.113.7");
    private static readonly string Endpoint = "http://203.0.113.7:40123/";
    private static readonly string[] Blobs = [.. Enumerable.Range(0, 5).Select(i => ContentDigest.Of([(byte)i]))];

    [Fact]
    public void A_host_is_listed_with_what_it_holds_only_once_its_endpoint_was_reached()
    {
        var peer = new IndexedPeer(100);

        Assert.Same(ListingChange.None, peer.Advertise(new PeerAdvert(40123, [Blobs[0], Blobs[1]], Complete: true), Address, "203.0.113.0/24"));
        Assert.Equal(Endpoint, peer.Endpoint);
        Assert.False(peer.Listed);
        Assert.Equal(Endpoint, peer.StartProbe(Now));
        // One probe at a time.
        Assert.Null(peer.StartProbe(Now));

        var change = peer.Probed(Endpoint, reached: true, Now);

        Assert.True(peer.Listed);
        Assert.Equal(Sorted(Blobs[0], Blobs[1]), change.List.Order());
        Assert.Empty(change.Unlist);
        Assert.Null(peer.StartProbe(Now));
    }

    [Fact]
    public void An_endpoint_not_reached_is_not_listed_and_tried_again_only_after_a_while_or_when_it_changes()
    {
        var peer = new IndexedPeer(100);
        peer.Advertise(new PeerAdvert(40123, [Blobs[0]], Complete: true), Address, null);
        peer.StartProbe(Now);

        Assert.Same(ListingChange.None, peer.Probed(Endpoint, reached: false, Now));

        Assert.False(peer.Listed);
        Assert.Null(peer.StartProbe(Now + IndexedPeer.ProbeRetryInterval - TimeSpan.FromSeconds(1)));
        Assert.Equal(Endpoint, peer.StartProbe(Now + IndexedPeer.ProbeRetryInterval));
        // A new port is a new endpoint: tried at once, and the old probe's answer counts for nothing.
        peer.Advertise(new PeerAdvert(40124), Address, null);
        Assert.Equal("http://203.0.113.7:40124/", peer.StartProbe(Now));
        Assert.Same(ListingChange.None, peer.Probed(Endpoint, reached: true, Now));
        Assert.False(peer.Listed);
    }

    [Fact]
    public void A_host_that_serves_nothing_or_whose_address_is_unknown_has_no_endpoint_to_try()
    {
        var serving = new IndexedPeer(100);
        serving.Advertise(new PeerAdvert(null, [Blobs[0]], Complete: true), Address, null);
        var unknown = new IndexedPeer(100);
        unknown.Advertise(new PeerAdvert(40123), null, null);

        Assert.Null(serving.StartProbe(Now));
        Assert.Null(unknown.StartProbe(Now));
        Assert.Equal([Blobs[0]], serving.Holdings);
    }

    [Fact]
    public void While_listed_holdings_added_and_removed_are_listed_and_unlisted()
    {
        var peer = ListedPeer(Blobs[0], Blobs[1]);

        var change = peer.Advertise(new PeerAdvert(40123, Added: [Blobs[2]], Removed: [Blobs[0], Blobs[4]]), Address, null);

        Assert.Equal([Blobs[2]], change.List);
        Assert.Equal([Blobs[0]], change.Unlist);
        Assert.Equal(Sorted(Blobs[1], Blobs[2]), peer.Holdings.Order());
        // A complete advert replaces the holdings: what it no longer names is unlisted.
        var complete = peer.Advertise(new PeerAdvert(40123, [Blobs[2], Blobs[3]], Complete: true), Address, null);
        Assert.Equal([Blobs[3]], complete.List);
        Assert.Equal([Blobs[1]], complete.Unlist);
    }

    [Fact]
    public void A_changed_upload_cap_lists_every_holding_again()
    {
        var peer = ListedPeer(Blobs[0], Blobs[1]);

        var change = peer.Advertise(new PeerAdvert(40123, UploadBytesPerSecond: 1_000_000), Address, null);

        Assert.Equal(Sorted(Blobs[0], Blobs[1]), change.List.Order());
        Assert.Equal(1_000_000, peer.UploadBytesPerSecond);
    }

    [Fact]
    public void A_host_that_moves_is_unlisted_until_its_new_endpoint_is_reached()
    {
        var peer = ListedPeer(Blobs[0], Blobs[1]);

        var change = peer.Advertise(new PeerAdvert(40123), IPAddress.Parse("198.51.100.9"), "198.51.100.0/24");

        Assert.False(peer.Listed);
        Assert.Equal(Sorted(Blobs[0], Blobs[1]), change.Unlist.Order());
        Assert.Equal("http://198.51.100.9:40123/", peer.StartProbe(Now));
        Assert.Equal(Sorted(Blobs[0], Blobs[1]), peer.Probed("http://198.51.100.9:40123/", reached: true, Now).List.Order());
    }

    [Fact]
    public void Holdings_are_known_once_an_advert_says_it_is_complete()
    {
        var peer = new IndexedPeer(100);

        peer.Advertise(new PeerAdvert(null, Added: [Blobs[0]]), Address, null);
        Assert.False(peer.HoldingsKnown);
        peer.Advertise(new PeerAdvert(null, [Blobs[0], Blobs[1]], Complete: true), Address, null);
        Assert.True(peer.HoldingsKnown);
    }

    [Fact]
    public void Holdings_past_the_cap_are_not_kept()
    {
        var peer = new IndexedPeer(3);

        peer.Advertise(new PeerAdvert(null, Blobs, Complete: true), Address, null);
        Assert.Equal(3, peer.Holdings.Count);
        peer.Advertise(new PeerAdvert(null, Added: [ContentDigest.Of([9])]), Address, null);
        Assert.Equal(3, peer.Holdings.Count);
    }

    [Fact]
    public void A_host_unlisted_for_good_is_never_tried_or_listed_again()
    {
        var peer = ListedPeer(Blobs[0]);

        var change = peer.UnlistForGood();

        Assert.Equal([Blobs[0]], change.Unlist);
        Assert.False(peer.Listed);
        peer.Advertise(new PeerAdvert(40999, [Blobs[0]], Complete: true), Address, null);
        Assert.Null(peer.StartProbe(Now + TimeSpan.FromDays(1)));
        Assert.Same(ListingChange.None, peer.Refresh());
    }

    [Theory]
    [InlineData("203.0.113.7", 80, "http://203.0.113.7:80/")]
    [InlineData("::ffff:203.0.113.7", 4000, "http://203.0.113.7:4000/")]
    [InlineData("2001:db8::7", 4000, "http://[2001:db8::7]:4000/")]
    [InlineData("fe80::1%3", 4000, "http://[fe80::1]:4000/")]
    public void An_endpoint_is_the_clients_address_with_the_advertised_port(string address, int port, string endpoint) =>
        Assert.Equal(endpoint, PeerEndpoint.Of(PeerEndpoint.Normalize(IPAddress.Parse(address)), port));

    [Fact]
    public void Holders_on_the_askers_network_come_first_then_the_least_picked_then_the_highest_cap_never_the_asker()
    {
        var asker = Guid.Parse("00000000-0000-0000-0000-00000000000a");
        var holders = new[]
        {
            Load(1, "net-b", 0, picks: 0),
            Load(2, "net-a", 1_000, picks: 3),
            Load(3, "net-a", 0, picks: 3),
            Load(4, "net-b", 5_000, picks: 1),
            Load(5, "net-b", 9_000, picks: 1),
            new HolderLoad(new BlobHolder(asker, Guid.NewGuid(), "http://asker/", "net-a", 0), 0),
        };

        var picked = HolderPicking.Pick(holders, asker, "net-a", 4);

        Assert.Equal([3, 2, 1, 5], picked.Select(h => (int)h.WorkerId.ToByteArray()[15]));
        Assert.Equal([1, 5, 4, 3], HolderPicking.Pick(holders, asker, null, 4).Select(h => (int)h.WorkerId.ToByteArray()[15]));
        Assert.Empty(HolderPicking.Pick(holders.Where(h => h.Holder.WorkerId == asker), asker, "net-a", 4));
    }

    private static IEnumerable<string> Sorted(params string[] digests) => digests.Order();

    private static HolderLoad Load(int id, string network, long cap, int picks) =>
        new(new BlobHolder(Guid.Parse($"00000000-0000-0000-0000-0000000000{id:x2}"), Guid.NewGuid(), $"http://h{id}/", network, cap), picks);

    private static IndexedPeer ListedPeer(params string[] holdings)
    {
        var peer = new IndexedPeer(100);
        peer.Advertise(new PeerAdvert(40123, holdings, Complete: true), Address, null);
        peer.Probed(peer.StartProbe(Now)!, reached: true, Now);
        Assert.True(peer.Listed);
        return peer;
    }
}

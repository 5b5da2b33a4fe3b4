using System.Net;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Peers;

/// <summary>Blobs a host is to be listed as a holder of, and blobs it is to be listed for no more.</summary>
public sealed record ListingChange(IReadOnlyCollection<string> List, IReadOnlyCollection<string> Unlist)
{
    public static ListingChange None { get; } = new([], []);

    public bool IsEmpty => List.Count == 0 && Unlist.Count == 0;
}

/// <summary>
/// One host as the peer index knows it: its endpoint (the address its sync came from, the port it advertised), whether
/// the coordinator has connected back to it (only then is it listed, so a host behind NAT is simply never listed), and
/// what it holds. Soft state, rebuilt from the host's adverts: until an advert says it is complete, the index asks for
/// all of it. Each change says which blobs the host is to be listed or unlisted for; listing is the caller's to do.
/// </summary>
public sealed class IndexedPeer(int maxHoldings)
{
    /// <summary>How long after a failed connect-back the same endpoint is tried again.</summary>
    public static readonly TimeSpan ProbeRetryInterval = TimeSpan.FromMinutes(10);

    private readonly HashSet<string> _holdings = new(StringComparer.Ordinal);
    private string? _probing;
    private DateTimeOffset? _probeFailedAt;

    /// <summary>The endpoint as last advertised; null when the host serves nothing or its address is unknown.</summary>
    public string? Endpoint { get; private set; }

    public string? Network { get; private set; }

    public long UploadBytesPerSecond { get; private set; }

    /// <summary>The coordinator has reached <see cref="Endpoint"/>: the host is a holder of what it holds.</summary>
    public bool Listed { get; private set; }

    /// <summary>Found serving bad data: never listed again.</summary>
    public bool UnlistedForGood { get; private set; }

    /// <summary>An advert has told all the host holds since the index started keeping it.</summary>
    public bool HoldingsKnown { get; private set; }

    public IReadOnlyCollection<string> Holdings => _holdings;

    /// <summary>
    /// Takes an advert that came from <paramref name="address"/>. A new endpoint is not listed until reached; holdings
    /// added or removed change the listing only while listed; a changed upload cap lists every holding again.
    /// </summary>
    public ListingChange Advertise(PeerAdvert advert, IPAddress? address, string? network)
    {
        var unlist = new HashSet<string>(StringComparer.Ordinal);
        var list = new HashSet<string>(StringComparer.Ordinal);
        var endpoint = advert.Port is { } port && address is not null ? PeerEndpoint.Of(address, port) : null;
        if (endpoint != Endpoint)
        {
            if (Listed)
            {
                unlist.UnionWith(_holdings);
                Listed = false;
            }
            Endpoint = endpoint;
            _probing = null;
            _probeFailedAt = null;
        }
        Network = network;
        var (added, removed) = advert.Complete ? Replace(advert.Added ?? []) : Change(advert.Added ?? [], advert.Removed ?? []);
        HoldingsKnown |= advert.Complete;
        var capChanged = advert.UploadBytesPerSecond != UploadBytesPerSecond;
        UploadBytesPerSecond = advert.UploadBytesPerSecond;
        if (Listed)
        {
            unlist.UnionWith(removed);
            list.UnionWith(capChanged ? _holdings : added);
            unlist.ExceptWith(list);
        }
        return unlist.Count == 0 && list.Count == 0 ? ListingChange.None : new ListingChange(list, unlist);
    }

    /// <summary>The endpoint to connect back to now, if any: one not listed, not being tried, not tried lately in vain.</summary>
    public string? StartProbe(DateTimeOffset now)
    {
        if (Endpoint is null || Listed || UnlistedForGood || _probing == Endpoint
            || (_probeFailedAt is { } failed && now - failed < ProbeRetryInterval))
        {
            return null;
        }
        _probing = Endpoint;
        return Endpoint;
    }

    /// <summary>How connecting back to <paramref name="endpoint"/> went; an answer for an endpoint since replaced changes nothing.</summary>
    public ListingChange Probed(string endpoint, bool reached, DateTimeOffset now)
    {
        if (endpoint != _probing || endpoint != Endpoint)
        {
            return ListingChange.None;
        }
        _probing = null;
        if (!reached || UnlistedForGood)
        {
            _probeFailedAt = now;
            return ListingChange.None;
        }
        Listed = true;
        return new ListingChange(_holdings.ToList(), []);
    }

    /// <summary>Every holding listed again (the holders' grains keep soft state, and forget holders not refreshed).</summary>
    public ListingChange Refresh() => Listed ? new ListingChange(_holdings.ToList(), []) : ListingChange.None;

    /// <summary>Unlists the host (its grain is going away); it is listed again once reached again.</summary>
    public ListingChange Unlist()
    {
        if (!Listed)
        {
            return ListingChange.None;
        }
        Listed = false;
        _probing = null;
        return new ListingChange([], _holdings.ToList());
    }

    /// <summary>Unlists the host for good: it served bad data.</summary>
    /// <summary>
    /// The host was just given tickets for these blobs: it is fetching them, and its endpoint serves the chunks it has
    /// got so far, so it counts as holding them (and is unlisted with them). The holders' grain lists it as it hands
    /// it its own holders (<see cref="Grains.IBlobHoldersGrain.PickAsync"/>), in one turn, so that of two hosts
    /// fetching at once only the later is told of the earlier: no two wait on each other.
    /// </summary>
    public void Fetching(IEnumerable<string> digests) => Change([.. digests], []);

    public ListingChange UnlistForGood()
    {
        UnlistedForGood = true;
        return Unlist();
    }

    private (IReadOnlyCollection<string> Added, IReadOnlyCollection<string> Removed) Replace(IReadOnlyList<string> all)
    {
        var now = all.Distinct(StringComparer.Ordinal).Take(maxHoldings).ToHashSet(StringComparer.Ordinal);
        var removed = _holdings.Where(d => !now.Contains(d)).ToList();
        var added = now.Where(d => !_holdings.Contains(d)).ToList();
        _holdings.Clear();
        _holdings.UnionWith(now);
        return (added, removed);
    }

    private (IReadOnlyCollection<string> Added, IReadOnlyCollection<string> Removed) Change(IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        var gone = removed.Where(_holdings.Remove).ToList();
        // Past the cap, what the host holds more is not tracked: a host cannot make the index keep without bound.
        var fresh = added.Where(d => _holdings.Count < maxHoldings && _holdings.Add(d)).ToList();
        return (fresh, gone);
    }
}

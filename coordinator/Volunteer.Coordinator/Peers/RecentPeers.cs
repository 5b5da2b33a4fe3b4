using Volunteer.Protocol;

namespace Volunteer.Coordinator.Peers;

/// <summary>
/// This silo's few listed hosts that synced through it lately: where a worker that can reach no coordinator hands its
/// reports to be relayed. Kept small and per silo (no grain call): any few live peers will do, close ones first.
/// </summary>
public sealed class RecentPeers(TimeProvider time)
{
    public const int Capacity = 64;

    /// <summary>Relay peers in one sync's answer.</summary>
    public const int PerAnswer = 4;

    public static readonly TimeSpan RecentWithin = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Seen> _peers = [];

    /// <summary>A listed host synced: it reaches a coordinator, and peers reach it.</summary>
    public void Synced(Guid workerId, string endpoint, string? network)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            _peers[workerId] = new Seen(workerId, endpoint, network, now);
            if (_peers.Count > Capacity)
            {
                _peers.Remove(_peers.Values.MinBy(p => p.At)!.WorkerId);
            }
        }
    }

    /// <summary>The host is not listed (any more).</summary>
    public void Forget(Guid workerId)
    {
        lock (_lock)
        {
            _peers.Remove(workerId);
        }
    }

    /// <summary>A few peers for <paramref name="workerId"/>, never itself: on its network first, then the most recently seen.</summary>
    public IReadOnlyList<PeerHolder> For(Guid workerId, string? network)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return [.. _peers.Values
                .Where(p => p.WorkerId != workerId && now - p.At <= RecentWithin)
                .OrderBy(p => network is not null && p.Network == network ? 0 : 1)
                .ThenByDescending(p => p.At)
                .Take(PerAnswer)
                .Select(p => new PeerHolder(p.WorkerId, p.Endpoint))];
        }
    }

    private sealed record Seen(Guid WorkerId, string Endpoint, string? Network, DateTimeOffset At);
}

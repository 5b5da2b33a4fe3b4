using Volunteer.Coordinator.Peers;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// One blob's listed holders, in memory only. The hosts' grains list their host again every
/// <see cref="HostGrain.ListingRefreshInterval"/>, so a holders' grain that was lost (a silo crash) is whole again
/// within that, and an entry not refreshed for a few intervals (its host's grain was lost) is dropped.
/// </summary>
public sealed class BlobHoldersGrain(TimeProvider time) : Grain, IBlobHoldersGrain
{
    /// <summary>How long a pick counts against a holder's spare upload.</summary>
    public static readonly TimeSpan PickWindow = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan StaleAfter = 3 * HostGrain.ListingRefreshInterval;

    /// <summary>Holder-asker pairs remembered for accusations; the oldest are forgotten first.</summary>
    public const int MaxHandedRemembered = 65_536;

    private readonly Dictionary<Guid, Entry> _holders = [];
    private readonly HashSet<(Guid Holder, Guid Asker)> _handed = [];
    private readonly Queue<(Guid Holder, Guid Asker)> _handedOrder = new();
    private DateTimeOffset _windowStart;

    public Task ListAsync(BlobHolder holder)
    {
        var now = time.GetUtcNow();
        if (_holders.TryGetValue(holder.WorkerId, out var entry))
        {
            entry.Holder = holder;
            entry.RefreshedAt = now;
        }
        else
        {
            _holders[holder.WorkerId] = new Entry(holder, now);
        }
        return Task.CompletedTask;
    }

    public Task UnlistAsync(Guid workerId)
    {
        _holders.Remove(workerId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PeerHolder>> PickAsync(Guid askerId, string? network, int count, BlobHolder? joining = null)
    {
        var now = time.GetUtcNow();
        foreach (var stale in _holders.Values.Where(e => now - e.RefreshedAt > StaleAfter).ToList())
        {
            _holders.Remove(stale.Holder.WorkerId);
        }
        if (now - _windowStart >= PickWindow)
        {
            _windowStart = now;
            foreach (var entry in _holders.Values)
            {
                entry.RecentPicks = 0;
            }
        }
        var picked = HolderPicking.Pick(_holders.Values.Select(e => new HolderLoad(e.Holder, e.RecentPicks)), askerId, network, count);
        foreach (var holder in picked)
        {
            _holders[holder.WorkerId].RecentPicks++;
            Remember(holder.WorkerId, askerId);
        }
        if (joining is not null)
        {
            ListAsync(joining);
        }
        return Task.FromResult<IReadOnlyList<PeerHolder>>([.. picked.Select(h => new PeerHolder(h.WorkerId, h.Endpoint))]);
    }

    public Task<bool> WasHandedAsync(Guid holderId, Guid askerId) => Task.FromResult(_handed.Contains((holderId, askerId)));

    private void Remember(Guid holderId, Guid askerId)
    {
        if (!_handed.Add((holderId, askerId)))
        {
            return;
        }
        _handedOrder.Enqueue((holderId, askerId));
        if (_handedOrder.Count > MaxHandedRemembered)
        {
            _handed.Remove(_handedOrder.Dequeue());
        }
    }

    private sealed class Entry(BlobHolder holder, DateTimeOffset refreshedAt)
    {
        public BlobHolder Holder { get; set; } = holder;

        public DateTimeOffset RefreshedAt { get; set; } = refreshedAt;

        public int RecentPicks { get; set; }
    }
}

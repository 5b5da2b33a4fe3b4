using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Dashboard.Data.Hosts;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Dashboard.Hosts;

/// <summary>
/// The Hosts page's data: a page of hosts from the store (one query, joined there), the replicas each online host of the
/// page holds from its grain (hosts not online are not woken: their grains would only know what jobs told them since),
/// and the flagged hosts as the hosts API lists them.
/// </summary>
internal sealed class HostsData(IWorkStore store, IGrainFactory grains, TimeProvider time) : IHostsData
{
    public const int MaxPageSize = 100;

    /// <summary>Online: synced this recently (the recorded time may be up to two <see cref="Presence.HostPresence.Throttle"/>s behind).</summary>
    public static readonly TimeSpan Online = TimeSpan.FromMinutes(5);

    public async Task<HostsPage> ListHostsAsync(int limit, HostsCursor? after, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var hosts = await store.ListHostsAsync(limit, after is null ? null : (after.LastSeenAt, after.WorkerId), cancellationToken);
        var onlineSince = time.GetUtcNow() - Online;
        var rows = await Task.WhenAll(hosts.Select(async host =>
        {
            var online = host.LastSyncedAt >= onlineSince;
            int? held = online ? (await grains.Reference<IHostGrain>(host.WorkerId).GetLimitsAsync()).InProgress : null;
            return new HostRow(host.WorkerId, host.Name, host.AccountId, host.AccountName, host.Cores, host.LastSyncedAt, online,
                host.Record.Valid, host.Record.Invalid, host.Record.Errors, host.Record.TimedOut, host.Record.ConsecutiveValid,
                host.Record.ErrorRate, held, host.Flagged);
        }));
        var next = hosts.Count == limit ? new HostsCursor(hosts[^1].LastSeenAt, hosts[^1].WorkerId) : null;
        return new HostsPage(rows, next);
    }

    public async Task<IReadOnlyList<FlaggedHost>> ListFlaggedAsync(int limit, FlaggedHost? after, CancellationToken cancellationToken)
    {
        var (hosts, _) = await FlaggedHosts.PageAsync(
            store, Math.Clamp(limit, 1, MaxPageSize), after is null ? null : FlaggedHosts.CursorOf(after), cancellationToken);
        return hosts;
    }
}

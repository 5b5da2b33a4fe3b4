using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>Flagged hosts as operators see them (the hosts API and the dashboard's Hosts page): each flag with its host.</summary>
internal static class FlaggedHosts
{
    /// <summary>
    /// A page of at most <paramref name="limit"/> flags after <paramref name="after"/>, most recently flagged first, each
    /// with its host; and the flags themselves, the last of which is where the next page starts (a flag whose host has
    /// no row is not shown, but the page still counts it).
    /// </summary>
    public static async Task<(IReadOnlyList<FlaggedHost> Hosts, IReadOnlyList<HostFlagRecord> Flags)> PageAsync(
        IWorkStore store, int limit, HostFlagRecord? after, CancellationToken cancellationToken)
    {
        var flags = await store.ListHostFlagsAsync(null, limit, after, cancellationToken);
        var hosts = new List<FlaggedHost>(flags.Count);
        var workers = new Dictionary<Guid, WorkerRecord?>();
        foreach (var flag in flags)
        {
            if (!workers.TryGetValue(flag.WorkerId, out var worker))
            {
                worker = workers[flag.WorkerId] = await store.FindWorkerAsync(flag.WorkerId, cancellationToken);
            }
            // A flag whose host has no row has nothing to show it by.
            if (worker is not null)
            {
                hosts.Add(new FlaggedHost(worker.Id, worker.AccountId, worker.Name, worker.Cores, flag.App, flag.FlaggedAt,
                    flag.ResultsPerHour, flag.CapacityPerHour, flag.Reason));
            }
        }
        return (hosts, flags);
    }

    /// <summary>Where a page that ended at <paramref name="host"/> ends, as the store pages flags (by time, host and app).</summary>
    public static HostFlagRecord CursorOf(FlaggedHost host) =>
        new(host.WorkerId, host.App, host.FlaggedAt, host.ResultsPerHour, host.CapacityPerHour, host.Reason);
}

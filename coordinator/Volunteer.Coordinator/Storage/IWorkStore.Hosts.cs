using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>Hosts as the dashboard sees them: when each last synced, who is active, and the Hosts page's list.</summary>
public partial interface IWorkStore
{
    /// <summary>
    /// Records when these hosts synced, in one transaction (the sync endpoint batches them: <see cref="Presence.HostPresence"/>).
    /// A host's time only moves forward: an older time than the stored one changes nothing; an unknown host is skipped.
    /// </summary>
    Task MarkHostsSyncedAsync(IReadOnlyCollection<HostSynced> synced, CancellationToken cancellationToken = default);

    /// <summary>The hosts that synced at or after <paramref name="since"/>: how many, of how many accounts, with how many cores.</summary>
    Task<HostActivityCount> CountHostsActiveAsync(DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hosts most recently seen first (<see cref="HostListing.LastSeenAt"/>, ties by id, descending): a page of at most
    /// <paramref name="limit"/> after <paramref name="after"/> (the last of the previous page: its last sighting and id),
    /// each with its record over all its apps, its account's name and whether it is flagged.
    /// </summary>
    Task<IReadOnlyList<HostListing>> ListHostsAsync(
        int limit, (DateTimeOffset LastSeenAt, Guid WorkerId)? after = null, CancellationToken cancellationToken = default);
}

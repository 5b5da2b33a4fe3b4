namespace Volunteer.Coordinator.Scheduling;

/// <summary>A host as the Hosts page lists it.</summary>
/// <param name="AccountName">Its account's name; null when the account has no row (hosts attached before accounts).</param>
/// <param name="LastSyncedAt">When it last synced, as recorded (up to a minute and a flush behind); null if never since recording began.</param>
/// <param name="Record">
/// Its results over all its apps; <see cref="HostTally.ConsecutiveValid"/> is the least of its apps' runs (trust is per
/// app, so the weakest counts).
/// </param>
/// <param name="Flagged">Whether it is flagged for some app (see <see cref="HostFlagRecord"/>).</param>
public sealed record HostListing(
    Guid WorkerId,
    string Name,
    Guid AccountId,
    string? AccountName,
    int Cores,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSyncedAt,
    HostTally Record,
    bool Flagged)
{
    /// <summary>What the list is ordered by: its last sync, or its attach if it never synced.</summary>
    public DateTimeOffset LastSeenAt => LastSyncedAt ?? CreatedAt;
}

using Volunteer.Protocol;

namespace Volunteer.Dashboard.Data.Hosts;

/// <summary>Volunteer hosts as operators look at them: a page at a time, and those flagged.</summary>
public interface IHostsData
{
    /// <summary>The most recently seen hosts first: at most <paramref name="limit"/> after <paramref name="after"/> (the last of the previous page).</summary>
    Task<HostsPage> ListHostsAsync(int limit, HostsCursor? after, CancellationToken cancellationToken);

    /// <summary>Flagged hosts, most recently flagged first: at most <paramref name="limit"/> after <paramref name="after"/> (the last of the previous page).</summary>
    Task<IReadOnlyList<FlaggedHost>> ListFlaggedAsync(int limit, FlaggedHost? after, CancellationToken cancellationToken);
}

/// <summary>Where a page of hosts ends: its last host's last sighting and id.</summary>
public sealed record HostsCursor(DateTimeOffset LastSeenAt, Guid WorkerId);

/// <param name="Next">Where the next page starts; null when this one is the last.</param>
public sealed record HostsPage(IReadOnlyList<HostRow> Hosts, HostsCursor? Next);

/// <summary>A host as the Hosts page shows it.</summary>
/// <param name="AccountName">The volunteer's account name; null when the account has no row.</param>
/// <param name="LastSyncedAt">When it last synced (recorded at most once a minute); null if never since recording began.</param>
/// <param name="Online">Whether it synced in the last five minutes.</param>
/// <param name="ConsecutiveValid">Its run of valid results: the least over its apps.</param>
/// <param name="ErrorRate">Errors among its judged results, 0 to 1.</param>
/// <param name="UnitsHeld">Replicas it holds now, as its grain knows; null for a host not online (not asked).</param>
/// <param name="Flagged">Flagged for some app (listed below the hosts with the reason).</param>
public sealed record HostRow(
    Guid WorkerId,
    string Name,
    Guid AccountId,
    string? AccountName,
    int Cores,
    DateTimeOffset? LastSyncedAt,
    bool Online,
    long Valid,
    long Invalid,
    long Errors,
    long TimedOut,
    long ConsecutiveValid,
    double ErrorRate,
    int? UnitsHeld,
    bool Flagged);

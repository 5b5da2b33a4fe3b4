namespace Volunteer.Dashboard.Data.Overview;

/// <summary>The whole project at one moment, as the overview shows it.</summary>
/// <param name="TakenAt">When the figures were computed.</param>
/// <param name="ActiveNow">Hosts that synced in the last five minutes; null until the store has been read.</param>
/// <param name="ActiveDay">Hosts that synced in the last 24 hours; null until the store has been read.</param>
/// <param name="Results">Results validated per second across the cluster over the last hour.</param>
/// <param name="Units">Units of the running jobs by state, and validated over all jobs.</param>
/// <param name="JobsRunning">Jobs running now.</param>
/// <param name="Relay">Bytes of jobs' blobs served to workers, by the coordinator and by peers, over all jobs.</param>
/// <param name="SilosUp">Coordinator silos active in the cluster's membership.</param>
/// <param name="StoreReadAt">When the figures from the store (activity, ended jobs) were last read; they refresh every few seconds.</param>
public sealed record OverviewSnapshot(
    DateTimeOffset TakenAt,
    HostActivity? ActiveNow,
    HostActivity? ActiveDay,
    ResultRates Results,
    UnitTotals Units,
    int JobsRunning,
    RelayBytes Relay,
    int SilosUp,
    DateTimeOffset? StoreReadAt);

/// <summary>Hosts active over a stretch of time, the volunteers (accounts) they belong to, and their cores.</summary>
public sealed record HostActivity(long Hosts, long Volunteers, long Cores);

/// <param name="Waiting">Units of running jobs not yet handed out (including those not yet split off).</param>
/// <param name="InProgress">Units of running jobs with replicas out with volunteers.</param>
/// <param name="Validated">Units of running jobs validated (assimilated or about to be).</param>
/// <param name="ValidatedOverall">Units validated over every job ever run.</param>
public sealed record UnitTotals(long Waiting, long InProgress, long Validated, long ValidatedOverall);

/// <summary>Bytes of jobs' blobs served to workers: by the coordinator's silos and by other workers (peers).</summary>
public sealed record RelayBytes(long CoordinatorBytes, long PeerBytes)
{
    public long TotalBytes => CoordinatorBytes + PeerBytes;

    /// <summary>The share peers served, 0 to 1; null before any byte was served.</summary>
    public double? PeerShare => TotalBytes == 0 ? null : (double)PeerBytes / TotalBytes;
}

/// <summary>
/// Results validated per second, one rate per second (Unix seconds <see cref="FirstSecond"/> on), oldest first: each the
/// average over the <see cref="AveragedOverSeconds"/> seconds up to it, because jobs tell their judgements in bursts
/// (at each lease sweep) rather than one by one.
/// </summary>
public sealed record ResultRates(long FirstSecond, IReadOnlyList<double> PerSecond, int AveragedOverSeconds)
{
    public static ResultRates None { get; } = new(0, [], 1);

    public long LastSecond => FirstSecond + PerSecond.Count - 1;

    /// <summary>The rate of the last complete second; null before the cluster has counted any.</summary>
    public double? Current => PerSecond.Count == 0 ? null : PerSecond[^1];

    public static DateTime TimeOf(long second) => DateTime.UnixEpoch.AddSeconds(second);
}

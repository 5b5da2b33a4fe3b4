namespace Volunteer.Coordinator.Scheduling;

/// <summary>Whether a worker's report of a replica may be accepted, and if not, why.</summary>
public enum ReportVerdict
{
    Accept,
    NotLeasedToWorker,
    AlreadyReported,
    LeaseExpired,
    ReplicaCancelled,
    BadSignature,

    /// <summary>The report says its unit burned more fuel than the app's limit lets a unit burn: a lie, or a broken worker.</summary>
    FuelAboveLimit,
}

public static class ReportVerdicts
{
    /// <summary>
    /// The one rule for judging a report against the stored replica, whether the replica is in a
    /// job's open window or only on disk.
    /// </summary>
    public static ReportVerdict Judge(ReplicaRecord? replica, Guid workerId, DateTimeOffset now) => replica switch
    {
        null => ReportVerdict.NotLeasedToWorker,
        _ when replica.WorkerId != workerId => ReportVerdict.NotLeasedToWorker,
        { State: ReplicaState.Unsent } => ReportVerdict.NotLeasedToWorker,
        { State: ReplicaState.Assigned } when replica.Deadline <= now => ReportVerdict.LeaseExpired,
        { State: ReplicaState.Assigned } => ReportVerdict.Accept,
        { State: ReplicaState.TimedOut } => ReportVerdict.LeaseExpired,
        { State: ReplicaState.Cancelled } => ReportVerdict.ReplicaCancelled,
        _ => ReportVerdict.AlreadyReported,
    };

    public static string Describe(this ReportVerdict verdict) => verdict switch
    {
        ReportVerdict.NotLeasedToWorker => "This replica is not leased to this worker.",
        ReportVerdict.AlreadyReported => "This replica has already been reported.",
        ReportVerdict.LeaseExpired => "The lease of this replica expired before the report arrived.",
        ReportVerdict.ReplicaCancelled => "This replica was cancelled: its unit or job no longer needs it.",
        ReportVerdict.BadSignature => "The report's signature does not verify with this worker's public key.",
        ReportVerdict.FuelAboveLimit => "The report's 'fuel' is above the fuel a unit of its app may burn (the app version's limits.fuelPerUnit).",
        _ => "Accepted.",
    };
}

using Volunteer.Coordinator.Scheduling;
using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>A validated job submission, handed to the job's grain to be recorded.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSpec")]
public sealed record JobSpec(
    [property: Id(0)] string App,
    [property: Id(1)] string Parameters,
    [property: Id(2)] Redundancy Redundancy,
    [property: Id(3)] int DeadlineSeconds,
    [property: Id(4)] int Priority,
    [property: Id(5)] long UnitCount,
    [property: Id(6)] string Seed);

/// <summary>A report the job grain would not accept, and why.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.RefusedReport")]
public sealed record RefusedReport(
    [property: Id(0)] ReplicaRef Replica,
    [property: Id(1)] ReportVerdict Verdict);

/// <summary>A running job as the dispatcher ranks it.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.RunningJob")]
public sealed record RunningJob(
    [property: Id(0)] Guid JobId,
    [property: Id(1)] int Priority,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>
/// One worker's sync as far as one job is concerned. Immutable, so a call to a grain in the same silo
/// passes it by reference instead of deep-copying every report (the protocol types copy through JSON).
/// </summary>
/// <param name="Reports">This job's reports in the sync.</param>
/// <param name="InProgress">This job's replicas the worker still holds; null when the worker did not say.</param>
/// <param name="Wanted">How many replicas to lease, if the reports are accepted.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSync")]
public sealed record JobSync(
    [property: Id(0)] IReadOnlyList<ReplicaReport> Reports,
    [property: Id(1)] IReadOnlyList<ReplicaRef>? InProgress,
    [property: Id(2)] int Wanted);

/// <summary>What a job made of one worker's sync: refused reports (then nothing else happened), replicas to stop, new leases.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSyncOutcome")]
public sealed record JobSyncOutcome(
    [property: Id(0)] IReadOnlyList<RefusedReport> Refused,
    [property: Id(1)] IReadOnlyList<ReplicaRef> Cancelled,
    [property: Id(2)] IReadOnlyList<Assignment> Assignments);

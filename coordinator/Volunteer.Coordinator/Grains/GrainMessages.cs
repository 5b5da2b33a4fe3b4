using System.Text.Json;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

// The messages of the grain interfaces. Domain records (Scheduling) and protocol values inside them
// cross silos as JSON (GrainSerialization); within a silo, [Immutable] passes them by reference.

/// <summary>A validated job submission, handed to the job's grain to be recorded.</summary>
/// <param name="Parameters">As parsed from the request: the grain splits from them and keeps their text in the job's row.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSpec")]
public sealed record JobSpec(
    [property: Id(0)] string App,
    [property: Id(1)] JsonElement Parameters,
    [property: Id(2)] Redundancy Redundancy,
    [property: Id(3)] int DeadlineSeconds,
    [property: Id(4)] int Priority,
    [property: Id(5)] long UnitCount,
    [property: Id(6)] string Seed,
    [property: Id(7)] bool Adaptive = true);

/// <summary>A job as stored, with its units counted by state and its parameters parsed (once, by the job's grain).</summary>
/// <param name="EstimatedCompletion">When a running job should be done at its recent pace; null when unknown.</param>
/// <param name="Relay">The job's relay figures as its grain has them; null for a status read from the job's row alone.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobStatus")]
public sealed record JobStatus(
    [property: Id(0)] JobRecord Job,
    [property: Id(1)] UnitCounts Units,
    [property: Id(2)] JsonElement Parameters,
    [property: Id(3)] DateTimeOffset? EstimatedCompletion = null,
    [property: Id(4)] JobRelay? Relay = null)
{
    /// <summary>The status of a job that has ended, from its row alone.</summary>
    public static JobStatus Ended(JobRecord job)
    {
        using var parameters = JsonDocument.Parse(job.Parameters);
        return new(job, job.SettledUnitCounts(), parameters.RootElement.Clone());
    }
}

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
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] string App = "");

/// <summary>One worker's sync as far as one job is concerned.</summary>
/// <param name="Results">This job's results in the sync.</param>
/// <param name="InProgress">This job's replicas the worker still holds; null when the worker did not say.</param>
/// <param name="Wanted">How many replicas to lease, if the results are accepted.</param>
/// <param name="MayHold">Replicas of this job the host may hold in all (its in-progress cap, less what it holds elsewhere).</param>
/// <param name="MayIssue">New replicas the host may be issued (what is left of its daily quota).</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSync")]
public sealed record JobSync(
    [property: Id(0)] IReadOnlyList<ReplicaResult> Results,
    [property: Id(1)] IReadOnlyList<ReplicaRef>? InProgress,
    [property: Id(2)] int Wanted,
    [property: Id(3)] int MayHold = int.MaxValue,
    [property: Id(4)] int MayIssue = int.MaxValue);

/// <summary>What a job made of one worker's sync: refused results (then nothing else happened), replicas to stop, new leases.</summary>
/// <param name="App">The job's app, which computes the leased replicas.</param>
/// <param name="Issued">How many of the leases are new (the rest were sent again); they count against the host's quota.</param>
/// <param name="Holding">Replicas of this job the host holds after the sync.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSyncOutcome")]
public sealed record JobSyncOutcome(
    [property: Id(0)] IReadOnlyList<RefusedReport> Refused,
    [property: Id(1)] IReadOnlyList<ReplicaRef> Cancelled,
    [property: Id(2)] string App,
    [property: Id(3)] IReadOnlyList<ReplicaLease> Leases,
    [property: Id(4)] int Issued = 0,
    [property: Id(5)] int Holding = 0);

/// <summary>A worker's sync, checked at the API edge (payloads decoded, signature verified), for its host's grain.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.HostSync")]
public sealed record HostSync(
    [property: Id(0)] VolunteerHost Host,
    [property: Id(1)] IReadOnlyList<ReplicaResult> Results,
    [property: Id(2)] IReadOnlyList<ReplicaRef>? InProgress,
    [property: Id(3)] int RequestUnits);

/// <summary>What the jobs made of a host's sync: refused results (then nothing else happened), replicas to stop, each job's leases.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.HostSyncOutcome")]
public sealed record HostSyncOutcome(
    [property: Id(0)] IReadOnlyList<RefusedReport> Refused,
    [property: Id(1)] IReadOnlyList<ReplicaRef> Cancelled,
    [property: Id(2)] IReadOnlyList<JobSyncOutcome> Jobs);

/// <summary>A host's limits as its grain last saw them.</summary>
/// <param name="InProgress">Replicas it held after its last sync with each running job.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.HostLimits")]
public sealed record HostLimits(
    [property: Id(0)] int DailyQuota,
    [property: Id(1)] int IssuedToday,
    [property: Id(2)] int InProgress,
    [property: Id(3)] int MaxInProgress);

/// <summary>What a job tells a host's grain at each lease sweep: how it judged the host's replicas since the last one.</summary>
/// <param name="Holding">Replicas of the job the host holds now.</param>
/// <param name="CostPerUnitSeconds">The job's measured cost of a unit in core-seconds (the population's median); null before any report.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobTally")]
public sealed record JobTally(
    [property: Id(0)] Guid JobId,
    [property: Id(1)] string App,
    [property: Id(2)] HostTally Tally,
    [property: Id(3)] int Holding,
    [property: Id(4)] double? CostPerUnitSeconds);

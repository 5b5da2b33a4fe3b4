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

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Volunteer.Protocol;

/// <summary>
/// How many copies of each unit are computed and how many must agree. A submission may name only
/// some of the fields; the others take the defaults below (2, 2, 3, 6).
/// </summary>
/// <param name="TargetResults">Replicas issued at first.</param>
/// <param name="MinQuorum">Successful results that must agree for the unit to be valid.</param>
/// <param name="MaxErrorResults">More error reports than this and the unit fails.</param>
/// <param name="MaxTotalResults">More replicas than this in all and the unit fails.</param>
public sealed record Redundancy(int TargetResults = 2, int MinQuorum = 2, int MaxErrorResults = 3, int MaxTotalResults = 6)
{
    public static Redundancy Default { get; } = new();
}

/// <summary>A scientist's request to run an app over some parameters.</summary>
/// <param name="Adaptive">
/// Whether hosts that have earned trust may compute units alone, with spot checks (adaptive replication; the default
/// for a quorum of 2). False keeps every unit at its quorum.
/// </param>
public sealed record JobSubmission(
    string App,
    JsonElement Parameters,
    Redundancy? Redundancy = null,
    int? DeadlineSeconds = null,
    int? Priority = null,
    bool? Adaptive = null);

[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    Running,
    Completed,
    Failed,
    Cancelled,
}

[JsonConverter(typeof(JsonStringEnumConverter<UnitState>))]
public enum UnitState
{
    Pending,
    InProgress,
    Valid,
    Assimilated,
    Failed,
}

/// <summary>A unit that failed (its error or replica budget ran out): the job went on without it.</summary>
public sealed record FailedUnit(long UnitIndex, JsonElement Input);

/// <summary>Units of a job by state; units not yet split out count as pending.</summary>
public sealed record UnitCounts(long Pending, long InProgress, long Valid, long Assimilated, long Failed);

/// <summary>How a job's data moved: bytes of its blobs served by the coordinator and by peers, and what the peers did.</summary>
/// <param name="CoordinatorBytes">Bytes of the job's input blobs the coordinator served to workers.</param>
/// <param name="PeerBytes">Bytes of them workers fetched from peers (as the workers reported).</param>
/// <param name="BadChunks">Chunks a peer served that failed their digest, refused by the worker that fetched them.</param>
/// <param name="ResultsPulled">Result payloads above the inline limit the coordinator took from the workers that hold them.</param>
/// <param name="ReportsRelayed">Reports that reached the coordinator through a peer rather than from their worker.</param>
public sealed record JobRelay(long CoordinatorBytes, long PeerBytes, long BadChunks, long ResultsPulled, long ReportsRelayed)
{
    public static JobRelay None { get; } = new(0, 0, 0, 0, 0);

    public JobRelay Plus(JobRelay other) => new(
        CoordinatorBytes + other.CoordinatorBytes, PeerBytes + other.PeerBytes, BadChunks + other.BadChunks,
        ResultsPulled + other.ResultsPulled, ReportsRelayed + other.ReportsRelayed);
}

/// <summary>A job as the job API shows it.</summary>
/// <param name="Adaptive">Whether trusted hosts compute its units alone, with spot checks (adaptive replication).</param>
/// <param name="EstimatedCompletion">For a running job, when it should be done at the pace of the last minutes; null until that is known.</param>
/// <param name="Relay">How the job's data moved between the coordinator and the volunteers.</param>
public sealed record JobView(
    Guid Id,
    string App,
    JsonElement Parameters,
    Redundancy Redundancy,
    int DeadlineSeconds,
    int Priority,
    JobState State,
    long UnitCount,
    UnitCounts Units,
    double Progress,
    JsonElement? Result,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    bool Adaptive = false,
    DateTimeOffset? EstimatedCompletion = null,
    JobRelay? Relay = null);

/// <summary>The assimilated result of a completed job (GET api/v1/jobs/{id}/result).</summary>
/// <param name="File">For an app whose result is a file: the blob to download it from (GET api/v1/blobs/{digest}).</param>
public sealed record JobResult(
    Guid JobId,
    string App,
    JsonElement Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobResultFile? File = null);

/// <summary>A job's result file (e.g. mandelbrot's PNG), kept as a blob.</summary>
public sealed record JobResultFile(string Digest, long Size, string ContentType);

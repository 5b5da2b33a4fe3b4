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
/// <param name="Host">
/// The host as placement sees it. Carried inside this [Immutable] message rather than as an argument of its own: a
/// domain record alone is deep-copied through JSON on every call within a silo (1.7% of a silo's CPU at 100,000 volunteers).
/// </param>
/// <param name="Results">This job's results in the sync.</param>
/// <param name="InProgress">This job's replicas the worker still holds; null when the worker did not say.</param>
/// <param name="Wanted">How many replicas to lease, if the results are accepted.</param>
/// <param name="MayHold">Replicas of this job the host may hold in all (its in-progress cap, less what it holds elsewhere).</param>
/// <param name="MayIssue">New replicas the host may be issued (what is left of its daily quota).</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSync")]
public sealed record JobSync(
    [property: Id(5)] VolunteerHost Host,
    [property: Id(0)] IReadOnlyList<ReplicaResult> Results,
    [property: Id(1)] IReadOnlyList<ReplicaRef>? InProgress,
    [property: Id(2)] int Wanted,
    [property: Id(3)] int MayHold = int.MaxValue,
    [property: Id(4)] int MayIssue = int.MaxValue);

/// <summary>What a job made of one worker's sync: refused results (then nothing else happened), replicas to stop, new leases.</summary>
/// <param name="App">The job's app, which computes the leased replicas.</param>
/// <param name="Issued">How many of the leases are new (the rest were sent again); they count against the host's quota.</param>
/// <param name="Holding">Replicas of this job the host holds after the sync.</param>
/// <param name="InputBlobs">The blobs every unit of the job reads (its app's <c>InputBlobs</c>): each lease's assignment says where to fetch them.</param>
/// <param name="Module">The module blob a registered WebAssembly app's units run (each assignment says where to fetch it); null for a built-in app.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.JobSyncOutcome")]
public sealed record JobSyncOutcome(
    [property: Id(0)] IReadOnlyList<RefusedReport> Refused,
    [property: Id(1)] IReadOnlyList<ReplicaRef> Cancelled,
    [property: Id(2)] string App,
    [property: Id(3)] IReadOnlyList<ReplicaLease> Leases,
    [property: Id(4)] int Issued = 0,
    [property: Id(5)] int Holding = 0,
    [property: Id(6)] IReadOnlyList<string>? InputBlobs = null,
    [property: Id(7)] string? Module = null);

/// <summary>A worker's sync, checked at the API edge (payloads decoded, signature verified), for its host's grain.</summary>
/// <param name="Peer">What the sync said of the worker as a peer; null when it said nothing.</param>
/// <param name="Relayed">
/// The results are the host's own reports carried up by another worker: applied as its own, but the sync is not the
/// host's contact (no leases, no peer directions handed out, which would reach the carrier instead).
/// </param>
[GenerateSerializer, Immutable, Alias("Volunteer.HostSync")]
public sealed record HostSync(
    [property: Id(0)] VolunteerHost Host,
    [property: Id(1)] IReadOnlyList<ReplicaResult> Results,
    [property: Id(2)] IReadOnlyList<ReplicaRef>? InProgress,
    [property: Id(3)] int RequestUnits,
    [property: Id(4)] PeerContact? Peer = null,
    [property: Id(5)] bool Relayed = false);

/// <summary>What the jobs made of a host's sync: refused results (then nothing else happened), replicas to stop, each job's leases.</summary>
/// <param name="Peer">The host's grain's directions to the worker as a peer; null when there are none (the sync said nothing as a peer).</param>
[GenerateSerializer, Immutable, Alias("Volunteer.HostSyncOutcome")]
public sealed record HostSyncOutcome(
    [property: Id(0)] IReadOnlyList<RefusedReport> Refused,
    [property: Id(1)] IReadOnlyList<ReplicaRef> Cancelled,
    [property: Id(2)] IReadOnlyList<JobSyncOutcome> Jobs,
    [property: Id(3)] HostPeerDirections? Peer = null);

/// <summary>A worker's peer advert as its sync brought it, with the address the sync came from (the client, past trusted proxies).</summary>
/// <param name="Address">The client's IP address as text; null when unknown (then its endpoint cannot be known either).</param>
/// <param name="Network">The client's network (IPv4 /24, IPv6 /48 by default), for holders close by; null when unknown.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.PeerContact")]
public sealed record PeerContact(
    [property: Id(0)] PeerAdvert Advert,
    [property: Id(1)] string? Address,
    [property: Id(2)] string? Network);

/// <summary>A host's grain's part of the peer directions of a sync's answer; the API edge adds the relay peers.</summary>
/// <param name="ListedEndpoint">The host's endpoint once the coordinator has reached it and lists it; null otherwise.</param>
/// <param name="Network">The network the host's endpoint is on, as its last advert came from.</param>
/// <param name="Release">Result blobs the host may drop, handed out this once.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.HostPeerDirections")]
public sealed record HostPeerDirections(
    [property: Id(0)] bool SendHoldings,
    [property: Id(1)] string? ListedEndpoint,
    [property: Id(2)] string? Network,
    [property: Id(3)] IReadOnlyList<string> Uploads,
    [property: Id(4)] IReadOnlyList<string> Release,
    [property: Id(5)] PeerPass Pass);

/// <summary>A listed holder of a blob, as the index keeps it: reached by the coordinator at <paramref name="Endpoint"/>.</summary>
/// <param name="UploadBytesPerSecond">Its upload cap; 0 when unbounded.</param>
[GenerateSerializer, Immutable, Alias("Volunteer.BlobHolder")]
public sealed record BlobHolder(
    [property: Id(0)] Guid WorkerId,
    [property: Id(1)] Guid AccountId,
    [property: Id(2)] string Endpoint,
    [property: Id(3)] string? Network,
    [property: Id(4)] long UploadBytesPerSecond);

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

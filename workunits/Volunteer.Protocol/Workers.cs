using System.Text.Json;
using System.Text.Json.Serialization;

namespace Volunteer.Protocol;

/// <summary>Sent once by a worker agent to join the project.</summary>
/// <param name="Name">The volunteer's name for this host.</param>
/// <param name="PublicKey">The worker's ECDSA P-256 public key, SubjectPublicKeyInfo in base64. One key attaches once.</param>
/// <param name="Cores">Processor count the agent will use.</param>
/// <param name="AccountKey">The volunteer's account key; without one, the host gets a fresh anonymous account.</param>
public sealed record WorkerAttachRequest(string Name, string PublicKey, int Cores, string? AccountKey = null);

/// <summary>The worker's identity; the token is shown once and stored by the coordinator only hashed.</summary>
/// <param name="Limits">The coordinator's bounds on one sync.</param>
/// <param name="AccountId">The account the host belongs to.</param>
/// <param name="AccountKey">
/// Only when the attach created an anonymous account: its key, shown this once, with which the volunteer
/// can attach more hosts to the same account.
/// </param>
/// <param name="CoordinatorKey">
/// The coordinator's ECDSA P-256 public key (SubjectPublicKeyInfo, base64), which signs blob tickets and peer passes.
/// </param>
public sealed record WorkerAttachResponse(Guid WorkerId, string Token, SyncLimits Limits, Guid AccountId, string? AccountKey = null, string? CoordinatorKey = null);

/// <summary>An attached host as operators see it (GET /api/v1/workers/{id}, with an API key).</summary>
/// <param name="DailyQuota">Replicas it may be issued today: halved by each error, invalid result or missed deadline.</param>
/// <param name="InProgress">Replicas it held after its last sync with each running job.</param>
/// <param name="MaxInProgress">Its in-progress cap: a share per core, bounded.</param>
/// <param name="Reliability">Its record with each app it has had results judged for, by app.</param>
public sealed record HostStatus(
    Guid WorkerId,
    Guid AccountId,
    string Name,
    int Cores,
    DateTimeOffset AttachedAt,
    int DailyQuota,
    int IssuedToday,
    int InProgress,
    int MaxInProgress,
    IReadOnlyList<HostAppReliability> Reliability);

/// <summary>A host's results of one app as judged over its life: what adaptive replication trusts it by.</summary>
/// <param name="ConsecutiveValid">Valid results since its last invalid one.</param>
/// <param name="ErrorRate">Errors per judged result (valid, invalid, error or timed out); 0 before any.</param>
/// <param name="AverageTurnaroundSeconds">The mean time from issue to report; null before any report.</param>
/// <param name="Flagged">Whether it is flagged for returning more results than its cores could compute; then it is not trusted.</param>
public sealed record HostAppReliability(
    string App,
    long Valid,
    long Invalid,
    long Errors,
    long TimedOut,
    long ConsecutiveValid,
    double ErrorRate,
    double TimeoutRate,
    double? AverageTurnaroundSeconds,
    bool Flagged);

/// <summary>Names one replica: a copy of a unit issued to one worker.</summary>
public sealed record ReplicaRef(Guid JobId, long UnitIndex, int Replica);

[JsonConverter(typeof(JsonStringEnumConverter<ReportOutcome>))]
public enum ReportOutcome
{
    Success,
    Error,
}

/// <summary>
/// A worker's report of one replica, signed together with the others it travels with. A success
/// carries its payload's digest and size, and the payload itself inline when it is within the inline limit
/// (<see cref="SyncLimits.InlinePayloadLimit"/>). A larger payload (up to <see cref="SyncLimits.MaxResultBytes"/>)
/// stays at the edge: the worker keeps it and the coordinator pulls it, or asks for it, once it is canonical.
/// </summary>
public sealed record ReplicaReport(
    Guid JobId,
    long UnitIndex,
    int Replica,
    ReportOutcome Outcome,
    string? Digest = null,
    long Size = 0,
    string? Payload = null,
    string? Error = null,
    long? Fuel = null)
{
    [JsonIgnore]
    public ReplicaRef Ref => new(JobId, UnitIndex, Replica);
}

/// <summary>One round trip: finished reports go up, new work comes down.</summary>
/// <param name="Reports">Finished replicas.</param>
/// <param name="InProgress">
/// Every replica the worker holds and has not reported in this sync (computing, queued, or finished
/// but not yet sent). The answer says which to drop; and a lease missing from the list is sent
/// again, so work whose assignment was lost on the way is not left idle until its deadline. Null
/// means "not told": nothing is resent.
/// </param>
/// <param name="RequestUnits">How many more units the worker can start now.</param>
/// <param name="Signature">
/// The worker's signature over all of <paramref name="Reports"/> (see ReportSignature); required
/// when there are reports.
/// </param>
/// <param name="Peer">The worker's peer endpoint and the blobs it holds (changes); null when it says nothing of them.</param>
/// <param name="Relayed">Other workers' signed reports this worker carries for them.</param>
/// <param name="Transfers">How the blob fetches finished since the last sync went.</param>
public sealed record SyncRequest(
    IReadOnlyList<ReplicaReport>? Reports = null,
    IReadOnlyList<ReplicaRef>? InProgress = null,
    int RequestUnits = 0,
    string? Signature = null,
    PeerAdvert? Peer = null,
    IReadOnlyList<RelayedReports>? Relayed = null,
    IReadOnlyList<TransferReport>? Transfers = null);

/// <summary>A leased replica: compute it and report before the deadline.</summary>
/// <param name="App">The app: a built-in app's name, or name@version of a registered WebAssembly app.</param>
/// <param name="Blobs">The blobs the unit reads (a job's shared input), with where to fetch them; null when it reads none.</param>
/// <param name="Module">For a WebAssembly app, its signed module and where to fetch it; null for a built-in app.</param>
public sealed record Assignment(
    Guid JobId,
    long UnitIndex,
    int Replica,
    string App,
    JsonElement Input,
    DateTimeOffset Deadline,
    IReadOnlyList<BlobSource>? Blobs = null,
    AppModule? Module = null)
{
    [JsonIgnore]
    public ReplicaRef Ref => new(JobId, UnitIndex, Replica);
}

/// <param name="Accepted">How many reports were committed.</param>
/// <param name="Assignments">New leases.</param>
/// <param name="Cancelled">In-progress replicas the worker should stop computing.</param>
/// <param name="Limits">The coordinator's bounds on one sync, for the next one.</param>
/// <param name="Peer">The index's directions to this worker as a peer; null when the sync said nothing as a peer.</param>
/// <param name="Relayed">What became of each relayed bundle, in the order sent.</param>
public sealed record SyncResponse(
    int Accepted,
    IReadOnlyList<Assignment> Assignments,
    IReadOnlyList<ReplicaRef> Cancelled,
    SyncLimits Limits,
    PeerDirections? Peer = null,
    IReadOnlyList<RelayOutcome>? Relayed = null)
{
    /// <summary>The newest worker agent release the project announces; null when it announces none.</summary>
    public AgentRelease? LatestAgent { get; init; }
}

/// <summary>
/// A worker agent release a project announces to its agents (Volunteer:LatestAgent), which say so in their status and
/// log: agents never update themselves, since the code they would run is not signed by anyone the volunteer trusts.
/// </summary>
/// <param name="Version">Its version, e.g. 1.4.0 (compared with the running agent's own).</param>
/// <param name="Download">Where a volunteer gets it; null when the project names no place.</param>
public sealed record AgentRelease(string Version, Uri? Download = null);

/// <summary>Why one report of a sync was refused; sent in the problem details of a refused sync.</summary>
/// <param name="Code">Machine-readable reason, e.g. AlreadyReported.</param>
public sealed record ReportRefusal(ReplicaRef Replica, string Code, string Reason);

using System.ComponentModel.DataAnnotations;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Settings;

/// <summary>The coordinator's settings, section "Volunteer" (environment: Volunteer__Name).</summary>
public sealed class VolunteerOptions : IValidatableObject
{
    public const string Section = "Volunteer";

    /// <summary>Where the embedded store keeps its database.</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, ".volunteer", "data");

    /// <summary>A bootstrap API key for the job API, stored hashed at start-up.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// How many connections the kernel may hold for the silo before it accepts them (the listen backlog; the kernel caps
    /// it at net.core.somaxconn). Volunteers connect afresh for each sync, and a GC pause or a burst of syncs leaves
    /// thousands waiting: past the backlog the kernel drops their handshakes and each agent retries 1 to 3 s later.
    /// </summary>
    [Range(1, 65_535)]
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>How many units of one job may be split out and in play at once (bounds memory).</summary>
    [Range(1, 10_000_000)]
    public int MaxOpenUnitsPerJob { get; set; } = 20_000;

    /// <summary>How often each job looks for leases past their deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The share of a job's units that may fail (exhaust their error or replica budget) with the job still
    /// completing, its failed units listed; one more and the job fails.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxFailedUnitShare { get; set; } = 0.01;

    /// <summary>Result payloads up to this size travel inline in reports; larger ones stay with workers.</summary>
    [Range(0, 1024 * 1024)]
    public int InlinePayloadLimit { get; set; } = SyncLimits.Default.InlinePayloadLimit;

    /// <summary>Most units a worker may ask for in one sync.</summary>
    [Range(1, 1024)]
    public int MaxUnitsPerSync { get; set; } = SyncLimits.Default.MaxUnitsPerSync;

    /// <summary>Most reports in one sync.</summary>
    [Range(1, 10_000)]
    public int MaxReportsPerSync { get; set; } = SyncLimits.Default.MaxReportsPerSync;

    /// <summary>Syncs a single worker may make per second before it is told to slow down.</summary>
    [Range(1, 100_000)]
    public int SyncsPerWorkerPerSecond { get; set; } = 50;

    /// <summary>
    /// Volunteers' requests (syncs, attaches, sign-ups) this silo serves at once; more are answered 503 with Retry-After at
    /// once, costing nothing, and the agents come back when Retry-After says. Without it an attach storm or a herd of first
    /// syncs piled up 20,000 connections until the silo ran out of memory (infra/bench.sh, 100,000 volunteers). Set high
    /// enough that a pause of a few hundred milliseconds at 1,700 syncs/s sheds nothing: 256 shed 141 syncs a minute there.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxWorkerRequestsInFlight { get; set; } = 1024;

    /// <summary>Workers one network address may attach per minute (a load test on one host raises it).</summary>
    [Range(1, 1_000_000)]
    public int AttachesPerAddressPerMinute { get; set; } = 120;

    /// <summary>Who may create a volunteer account: anyone (the default), or only callers with an API key.</summary>
    public SignUpPolicy SignUp { get; set; } = SignUpPolicy.Open;

    /// <summary>
    /// Whether two replicas of one unit may never go to hosts on the same network (IPv4 /<see cref="Ipv4NetworkPrefix"/>,
    /// IPv6 /<see cref="Ipv6NetworkPrefix"/>), as they never go to one host or one account.
    /// </summary>
    public bool SeparateNetworks { get; set; } = true;

    [Range(8, 32)]
    public int Ipv4NetworkPrefix { get; set; } = 24;

    [Range(16, 128)]
    public int Ipv6NetworkPrefix { get; set; } = 48;

    /// <summary>
    /// Addresses of reverse proxies whose X-Forwarded-For header names the client. From any other address the
    /// header is ignored, so no client can choose the network it is placed by.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// A host asking for n units is handed n at random among the n + this - 1 oldest waiting units it may get, so
    /// which unit it gets cannot be predicted from the order of requests (two colluding hosts cannot ask back to
    /// back for sibling replicas). 1 hands out the oldest, in order.
    /// </summary>
    [Range(1, 100_000)]
    public int PlacementPoolSize { get; set; } = 64;

    /// <summary>Replicas one host may hold in progress per core it reported (BOINC's max_wus_in_progress).</summary>
    [Range(1, 10_000)]
    public int InProgressPerCore { get; set; } = 2;

    /// <summary>Replicas one host may hold in progress at most, whatever cores it claims.</summary>
    [Range(1, 1_000_000)]
    public int MaxInProgressPerHost { get; set; } = 128;

    /// <summary>Replicas of one job that all of one account's hosts together may hold in progress.</summary>
    [Range(1, 10_000_000)]
    public int MaxInProgressPerAccount { get; set; } = 1_024;

    /// <summary>
    /// Replicas a host may be issued per core per day (BOINC's max results per day). A host's quota halves on
    /// each error, invalid result or missed deadline, and doubles back with each valid result.
    /// </summary>
    [Range(1, 100_000_000)]
    public int DailyQuotaPerCore { get; set; } = 10_000;

    /// <summary>
    /// Consecutive valid results of an app after which a host is trusted with it: its units of that app go out alone
    /// (quorum 1) but for spot checks (BOINC's adaptive replication). One invalid result starts the count again.
    /// </summary>
    [Range(1, 1_000_000)]
    public int AdaptiveTrustThreshold { get; set; } = 10;

    /// <summary>The share of a trusted host's units that are still replicated, drawn at random when it is leased one.</summary>
    [Range(0.0, 1.0)]
    public double SpotCheckShare { get; set; } = 0.1;

    /// <summary>
    /// A host is flagged (and loses adaptive trust) when its valid results of an app in the last hour exceed this many
    /// times what its reported cores could compute at the app's cost per unit measured across the population. Cores
    /// differ in speed among volunteers' machines by a few times, not more, hence the default.
    /// </summary>
    [Range(1.0, 1000.0)]
    public double AnomalyTolerance { get; set; } = 4.0;

    /// <summary>Fewer valid results than this in an hour never flag a host (too few to tell a rate).</summary>
    [Range(1, 1_000_000)]
    public int AnomalyMinResults { get; set; } = 20;

    /// <summary>The last share of a job's units, which go preferentially to the hosts with the best turnaround.</summary>
    [Range(0.0, 1.0)]
    public double TailShare { get; set; } = 0.05;

    /// <summary>
    /// In a job's tail, a replica out this many times longer than its host's usual turnaround gets a speculative
    /// extra replica on a fast host; the first valid quorum wins and the late replica is cancelled.
    /// </summary>
    [Range(1.0, 1000.0)]
    public double SpeculationFactor { get; set; } = 3.0;

    /// <summary>Largest blob a scientist may upload, in bytes.</summary>
    [Range(0, long.MaxValue)]
    public long MaxBlobBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Largest WebAssembly module (or reducer module) a scientist may register, in bytes.</summary>
    [Range(1, 1L << 30)]
    public long MaxModuleBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// The most fuel a reducer module may burn folding one unit's result, whatever its version's limits allow: folds run
    /// inside the coordinator's job grain (10^9 is about half a second of work here).
    /// </summary>
    [Range(1, 10_000_000_000_000)]
    public long ReducerFuelPerFold { get; set; } = 1_000_000_000;

    /// <summary>The most memory a reducer module may grow to on the coordinator, whatever its version's limits allow.</summary>
    [Range(64 * 1024, 1L << 30)]
    public long ReducerMemoryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest result payload, in bytes; one above <see cref="InlinePayloadLimit"/> stays on the workers until pulled.</summary>
    [Range(0, long.MaxValue)]
    public long MaxResultBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How often blobs no job needs are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BlobCollectionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an uploaded blob (or an unfinished upload) is kept before a job names it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan UnclaimedBlobLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a ticket to fetch a blob from peers is good for.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a worker's peer pass (for relaying its reports through peers) is good for.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan PeerPassLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Whether assignments list peers that hold their blobs (false: every byte comes from the coordinator, as without relay).</summary>
    public bool ListPeers { get; set; } = true;

    /// <summary>Holders listed with each blob of an assignment.</summary>
    [Range(1, 64)]
    public int HoldersPerBlob { get; set; } = 4;

    /// <summary>How long the coordinator waits for a worker's peer endpoint to answer its connect-back probe.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PeerProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Distinct accounts that must report a holder for a bad chunk before it is no longer listed and loses trust.</summary>
    [Range(1, 100)]
    public int BadChunkReportsToUnlist { get; set; } = 2;

    /// <summary>How long the coordinator gives one holder to deliver a result payload (pulled or uploaded) before trying another.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ResultPullTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Rounds over every agreeing holder (each given <see cref="ResultPullTimeout"/>) after which a result payload no holder
    /// delivered is given up: its units fail, and the job goes on without them rather than wait for volunteers gone for good.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ResultPullRounds { get; set; } = 60;

    /// <summary>
    /// The newest worker agent release, e.g. 1.4.0, announced in every sync answer: agents older than it say so in their
    /// log and status (they never update themselves). Unset (or empty) announces nothing.
    /// </summary>
    public string? LatestAgentVersion { get; set; }

    /// <summary>Where volunteers get <see cref="LatestAgentVersion"/> (an http(s) URL), told with it; optional.</summary>
    public string? LatestAgentDownload { get; set; }

    /// <summary>The release announced to agents, from <see cref="LatestAgentVersion"/> and <see cref="LatestAgentDownload"/>; null when none.</summary>
    public AgentRelease? LatestAgent => AgentVersion.TryParse(LatestAgentVersion, out var version)
        ? new AgentRelease(version.Text, Uri.TryCreate(LatestAgentDownload, UriKind.Absolute, out var download) ? download : null)
        : null;

    /// <summary>The bounds on one sync that workers are told of.</summary>
    public SyncLimits SyncLimits => SyncLimits.Default with
    {
        MaxReportsPerSync = MaxReportsPerSync, MaxUnitsPerSync = MaxUnitsPerSync, InlinePayloadLimit = InlinePayloadLimit,
        MaxResultBytes = MaxResultBytes,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(LatestAgentVersion) && !AgentVersion.TryParse(LatestAgentVersion, out _))
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(LatestAgentVersion)} '{LatestAgentVersion}' is not a version such as 1.4.0 (MAJOR.MINOR[.PATCH], optionally -prerelease).",
                [nameof(LatestAgentVersion)]);
        }
        if (!string.IsNullOrWhiteSpace(LatestAgentDownload))
        {
            if (string.IsNullOrWhiteSpace(LatestAgentVersion))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(LatestAgentDownload)} is set but {Section}:{nameof(LatestAgentVersion)} is not: say which release it downloads.",
                    [nameof(LatestAgentDownload)]);
            }
            if (!Uri.TryCreate(LatestAgentDownload, UriKind.Absolute, out var download) || download.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(LatestAgentDownload)} '{LatestAgentDownload}' is not an absolute http(s) URL.",
                    [nameof(LatestAgentDownload)]);
            }
        }
    }
}

public enum SignUpPolicy
{
    /// <summary>Anyone may sign up.</summary>
    Open,

    /// <summary>Only a caller with a job API key may create an account (a closed project).</summary>
    ApiKey,
}

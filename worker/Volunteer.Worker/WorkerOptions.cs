using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Volunteer.Worker;

/// <summary>The agent's settings, section "Worker" (environment: Worker__Slots; command line: --slots).</summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string Section = "Worker";

    /// <summary>Where the agent keeps its identity, leased units, checkpoints and unacknowledged reports.</summary>
    [Required]
    public string StateDirectory { get; set; } = DefaultStateDirectory();

    /// <summary>How many units run at once.</summary>
    [Range(1, 4096)]
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>This host's name as the project sees it.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>
    /// The volunteer account attach joins this host to (its key, from sign-up or from the first host's attach);
    /// without one, attach makes a new anonymous account and prints its key.
    /// </summary>
    public string? AccountKey { get; set; }

    /// <summary>
    /// The local address every connection to the coordinators leaves from, on a host with several; by default the
    /// system picks one. The project tells networks apart by it.
    /// </summary>
    public string? SourceAddress { get; set; }

    /// <summary>How long to wait between syncs when there is nothing to report and no work was offered.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan IdleSyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First back-off after a failed sync; doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for one HTTP attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the running agent writes what it is doing to its status file (read by the status command).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most disk the blob cache (job inputs fetched for leased units, result payloads kept for the project) may
    /// take, in bytes. Least recently used blobs that no leased unit needs and no unreleased result holds make room.
    /// </summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long CacheBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// Whether this host runs its peer endpoint, serving the blobs it holds to the peers the project gives a ticket
    /// for them and taking reports to relay; false (--no-serve) uploads nothing to peers and listens on no port.
    /// </summary>
    public bool Serve { get; set; } = true;

    /// <summary>The peer endpoint's port; 0 takes any free port (the one bound is what the project is told).</summary>
    [Range(0, 65535)]
    public int PeerPort { get; set; }

    /// <summary>The local address the peer endpoint listens on; by default the source address if set, else every address.</summary>
    public string? PeerAddress { get; set; }

    /// <summary>The most the peer endpoint sends per second, all peers together, in bytes; 0 leaves it unbounded.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long UploadBytesPerSecond { get; set; }

    /// <summary>Chunk requests one blob fetch keeps in flight, spread over the peers that hold the blob.</summary>
    [Range(1, 64)]
    public int FetchConcurrency { get; set; } = 4;

    /// <summary>How long a peer may send nothing before the fetch drops it and asks another (or the coordinator) for its chunk.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PeerStallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long syncs must have been failing before the agent hands its signed reports to a peer to forward.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RelayAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after a peer took a report to relay before the agent hands it to a peer again, while still cut off.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "7.00:00:00")]
    public TimeSpan RelayAgainAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most bundles of other workers' reports this agent keeps to forward for them.</summary>
    [Range(1, 100_000)]
    public int MaxRelayBundles { get; set; } = 256;

    /// <summary>The most disk, in bytes, the bundles this agent keeps for other workers may take (one bundle included).</summary>
    [Range(typeof(long), "1024", "9223372036854775807")]
    public long RelayInboxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Binds the section and validates it as ValidateDataAnnotations would. Throws
    /// OptionsValidationException naming every setting that is wrong, or not of its type.
    /// </summary>
    public static WorkerOptions From(IConfiguration configuration) => Settings.AgentSettings.Bind<WorkerOptions>(configuration);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SourceAddress is not null && !IPAddress.TryParse(SourceAddress, out _))
        {
            yield return new ValidationResult($"The field SourceAddress must be an IP address of this host, not '{SourceAddress}'.", [nameof(SourceAddress)]);
        }
        if (PeerAddress is not null && !IPAddress.TryParse(PeerAddress, out _))
        {
            yield return new ValidationResult($"The field PeerAddress must be an IP address of this host, not '{PeerAddress}'.", [nameof(PeerAddress)]);
        }
    }

    /// <summary>Where the peer endpoint listens: <see cref="PeerAddress"/>, else the source address, else every IPv4 address.</summary>
    public IPAddress PeerListenAddress() =>
        IPAddress.Parse(PeerAddress ?? SourceAddress ?? IPAddress.Any.ToString());

    private static string DefaultStateDirectory()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(dataHome, "volunteer-worker");
    }
}

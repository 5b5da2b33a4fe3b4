using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Storage;

/// <summary>
/// What the running agent is doing, as it last wrote it to status.json for the status command: the
/// units it computes and how far along they are, the reports it holds, how its last sync went and what it does as a peer.
/// </summary>
/// <param name="WrittenAt">When the agent wrote this.</param>
/// <param name="Slots">How many units the agent runs at once.</param>
/// <param name="LastSync">The last sync that got an answer; null before the first.</param>
public sealed record WorkerStatus(
    DateTimeOffset WrittenAt,
    int Slots,
    IReadOnlyList<UnitProgress> Running,
    int PendingReports,
    SyncSummary? LastSync)
{
    /// <summary>The agent as a peer; null in a status written before agents were peers.</summary>
    public PeerStatus? Peer { get; init; }

    /// <summary>Units leased and queued for a slot (the work buffer); 0 in a status written before agents buffered.</summary>
    public int Buffered { get; init; }

    public const string FileName = "status.json";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    public static WorkerStatus? Load(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize<WorkerStatus>(File.ReadAllBytes(path)) : null;
    }

    public void Save(string stateDirectory) => DurableFile.Write(PathIn(stateDirectory), JsonSerializer.SerializeToUtf8Bytes(this));
}

/// <summary>A unit the agent computes, with the fraction of it done (0..1) as its app last reported.</summary>
public sealed record UnitProgress(Guid JobId, long UnitIndex, int Replica, string App, double FractionDone)
{
    /// <summary>The fraction the checkpoint this run resumed from stands for; null when the run started from scratch.</summary>
    public double? ResumedFrom { get; init; }

    /// <summary>The first fraction the app reported in this run; at or above <see cref="ResumedFrom"/> when it resumed.</summary>
    public double? FirstProgress { get; init; }

    /// <summary>The fraction the unit's latest checkpoint stands for; null when it has none.</summary>
    public double? CheckpointFraction { get; init; }

    /// <summary>When the unit's latest checkpoint was written.</summary>
    public DateTimeOffset? LastCheckpointAt { get; init; }
}

/// <summary>When a sync was answered, and what the answer was, in words.</summary>
public sealed record SyncSummary(DateTimeOffset At, string Outcome);

/// <summary>The agent as a peer, as the status command shows it.</summary>
/// <param name="Endpoint">Where its peer endpoint listens; null when it does not serve.</param>
/// <param name="UploadBytesPerSecond">Its upload cap; 0 when unbounded.</param>
/// <param name="CacheBytes">The bytes its blob cache takes.</param>
/// <param name="CacheCapacity">The most its blob cache may take.</param>
/// <param name="BlobsHeld">Complete blobs in its cache.</param>
/// <param name="RelayBundles">Other workers' bundles of reports it holds to forward.</param>
/// <param name="ReportsRelayed">Its own reports handed to a peer while cut off, not yet acknowledged.</param>
public sealed record PeerStatus(string? Endpoint, long UploadBytesPerSecond, long CacheBytes, long CacheCapacity, int BlobsHeld, int RelayBundles, int ReportsRelayed);

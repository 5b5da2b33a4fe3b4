using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Storage;

/// <summary>
/// The agent's durable work state: leased units not yet finished (inbox), their checkpoints, and
/// signed reports not yet acknowledged by the coordinator (outbox). A restart picks up from here, so
/// nothing leased or computed is lost. The outbox is read once, when the folder is opened, and then
/// kept in memory too, so that a sync does not read every unacknowledged report from disk again.
/// </summary>
public sealed class WorkFolder
{
    private readonly string _inbox;
    private readonly string _outbox;
    private readonly string _checkpoints;
    private readonly Lock _gate = new();

    /// <summary>The outbox's reports in the order they were finished (those found at opening first).</summary>
    private readonly OrderedDictionary<ReplicaRef, ReplicaReport> _pending;

    public WorkFolder(string stateDirectory)
    {
        _inbox = Directory.CreateDirectory(Path.Combine(stateDirectory, "inbox")).FullName;
        _outbox = Directory.CreateDirectory(Path.Combine(stateDirectory, "outbox")).FullName;
        _checkpoints = Directory.CreateDirectory(Path.Combine(stateDirectory, "checkpoints")).FullName;
        // A crash mid-write leaves a temporary file behind; the durable copy, if any, is the other one.
        foreach (var leftover in new[] { _inbox, _outbox, _checkpoints }.SelectMany(f => Directory.GetFiles(f, "*.tmp")))
        {
            File.Delete(leftover);
        }
        _pending = new(ReadAll<ReplicaReport>(_outbox).Select(report => KeyValuePair.Create(report.Ref, report)));
    }

    public void Lease(Assignment assignment) =>
        DurableFile.Write(FileOf(_inbox, assignment.Ref, ".json"), JsonSerializer.SerializeToUtf8Bytes(assignment, ProtocolJson.Options));

    public IReadOnlyList<Assignment> LeasedUnits() => ReadAll<Assignment>(_inbox);

    /// <summary>
    /// Moves a finished replica from the inbox to the outbox; the report is on disk before it is pending
    /// and before the lease is forgotten.
    /// </summary>
    public void Finish(ReplicaReport report)
    {
        DurableFile.Write(FileOf(_outbox, report.Ref, ".json"), JsonSerializer.SerializeToUtf8Bytes(report, ProtocolJson.Options));
        lock (_gate)
        {
            _pending[report.Ref] = report;
        }
        Forget(report.Ref);
    }

    /// <summary>Drops a leased replica and its checkpoint (finished, or cancelled by the coordinator).</summary>
    public void Forget(ReplicaRef replica)
    {
        File.Delete(FileOf(_inbox, replica, ".json"));
        File.Delete(FileOf(_checkpoints, replica, ".bin"));
    }

    /// <summary>The reports not yet acknowledged, oldest first.</summary>
    public IReadOnlyList<ReplicaReport> PendingReports()
    {
        lock (_gate)
        {
            return [.. _pending.Values];
        }
    }

    public void Acknowledged(ReplicaRef replica)
    {
        File.Delete(FileOf(_outbox, replica, ".json"));
        lock (_gate)
        {
            _pending.Remove(replica);
        }
    }

    /// <summary>
    /// The replica's last checkpoint; null when there is none, or none that can be read whole and of this agent's format:
    /// the unit then starts over, which is always correct.
    /// </summary>
    public SavedCheckpoint? Checkpoint(ReplicaRef replica)
    {
        try
        {
            return SavedCheckpoint.TryRead(File.ReadAllBytes(FileOf(_checkpoints, replica, ".bin")));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Replaces the replica's checkpoint, durably and as a whole: state, the fraction it stands for and when.</summary>
    public void SaveCheckpoint(ReplicaRef replica, SavedCheckpoint checkpoint) =>
        DurableFile.Write(FileOf(_checkpoints, replica, ".bin"), checkpoint.ToBytes());

    public int PendingReportCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public (int Leased, int Checkpoints, int Unacknowledged) Count() =>
        (Directory.GetFiles(_inbox, "*.json").Length, Directory.GetFiles(_checkpoints, "*.bin").Length, PendingReportCount);

    /// <summary>Removes the inbox, outbox and checkpoints with everything in them.</summary>
    public void Delete()
    {
        foreach (var folder in new[] { _inbox, _outbox, _checkpoints })
        {
            Directory.Delete(folder, recursive: true);
        }
        lock (_gate)
        {
            _pending.Clear();
        }
    }

    private static string FileOf(string folder, ReplicaRef replica, string extension) =>
        Path.Combine(folder, $"{replica.JobId:N}-{replica.UnitIndex}-{replica.Replica}{extension}");

    private static List<T> ReadAll<T>(string folder) =>
        Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal)
            .Select(path => JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), ProtocolJson.Options)!)
            .ToList();
}

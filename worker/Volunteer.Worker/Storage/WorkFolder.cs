using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Storage;

/// <summary>
/// The agent's durable work state: leased units not yet finished (inbox), their checkpoints, and
/// signed reports not yet acknowledged by the coordinator (outbox). A restart picks up from here, so
/// nothing leased or computed is lost. Both are read once, when the folder is opened, and then kept
/// in memory, so that a sync reads no directory.
/// </summary>
/// <remarks>
/// What a write costs is what bounds an agent on short units, so writes go in groups: the leases a sync brings are
/// one file (the inbox is rewritten whole, once per sync that changes it), and the reports of short units wait in
/// memory until the next sync writes them as one file before sending them. A crash before then loses only the
/// computing of those units: their leases are still in the inbox, so they are computed again. A long unit's report is
/// written at once. A report is durable before any sync carries it, and stays until the coordinator acknowledged it.
/// A file of several reports goes when none of them is pending; a restart before then sends the acknowledged ones
/// again, which the coordinator refuses as already reported and the agent then drops.
/// </remarks>
public sealed class WorkFolder
{
    /// <summary>The one file of the inbox: every lease held, as of the last rewrite.</summary>
    private const string LeasesFile = "leases.json";

    /// <summary>The prefix of an outbox file holding several reports (a report written alone is named after its replica).</summary>
    private const string GroupPrefix = "group-";

    private readonly string _inbox;
    private readonly string _outbox;
    private readonly string _checkpoints;
    private readonly Lock _gate = new();

    /// <summary>Leased units not finished, in the order leased.</summary>
    private readonly OrderedDictionary<ReplicaRef, Assignment> _leased;

    /// <summary>The outbox's reports in the order they were finished (those found at opening first).</summary>
    private readonly OrderedDictionary<ReplicaRef, ReplicaReport> _pending;

    /// <summary>Pending reports held in memory only, not yet written.</summary>
    private readonly List<ReplicaReport> _unwritten = [];

    /// <summary>The outbox file of each written pending report, and the pending reports each file still holds.</summary>
    private readonly Dictionary<ReplicaRef, string> _fileOf = [];
    private readonly Dictionary<string, HashSet<ReplicaRef>> _reportsIn = new(StringComparer.Ordinal);

    /// <summary>Whether the inbox file lists leases no longer held (finished or cancelled since it was written).</summary>
    private bool _inboxStale;
    private long _groups;

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
        _pending = [];
        foreach (var path in Directory.GetFiles(_outbox, "*.json").Order(StringComparer.Ordinal))
        {
            var reports = ReadOneOrMany<ReplicaReport>(path);
            _reportsIn[path] = [.. reports.Select(r => r.Ref)];
            foreach (var report in reports)
            {
                _pending[report.Ref] = report;
                _fileOf[report.Ref] = path;
            }
        }
        _groups = Directory.GetFiles(_outbox, GroupPrefix + "*.json")
            .Select(f => long.TryParse(Path.GetFileNameWithoutExtension(f)[GroupPrefix.Length..], out var n) ? n : 0).DefaultIfEmpty().Max();
        // Units whose report was written are finished, whatever the inbox (rewritten later) still says.
        _leased = [];
        var inboxFiles = Directory.GetFiles(_inbox, "*.json").Order(StringComparer.Ordinal).ToList();
        var listed = inboxFiles.SelectMany(ReadOneOrMany<Assignment>).ToList();
        foreach (var assignment in listed.Where(a => !_pending.ContainsKey(a.Ref)))
        {
            _leased.TryAdd(assignment.Ref, assignment);
        }
        // A lease per file is how earlier agents kept the inbox: folded into the one file, then removed. An inbox that
        // lists finished units is rewritten now too: were it left until the next lease, a report refused meanwhile (sent
        // before a crash, taken, its acknowledgement lost: "already reported") would go while its unit stayed listed,
        // to be computed again after the next restart.
        var leasesPath = Path.Combine(_inbox, LeasesFile);
        if (inboxFiles.Any(f => f != leasesPath) || listed.Count != _leased.Count)
        {
            WriteInbox();
            foreach (var legacy in inboxFiles.Where(f => f != leasesPath))
            {
                File.Delete(legacy);
            }
        }
    }

    public void Lease(Assignment assignment) => Settle([], [assignment]);

    /// <summary>The units leased and not finished, in the order leased.</summary>
    public IReadOnlyList<Assignment> LeasedUnits()
    {
        lock (_gate)
        {
            return [.. _leased.Values];
        }
    }

    /// <summary>
    /// Moves a finished replica from the inbox to the outbox; the report is on disk before it is pending
    /// and before the lease is forgotten.
    /// </summary>
    public void Finish(ReplicaReport report) => Finish(report, keepInMemory: false);

    /// <summary>
    /// Moves a finished replica to the outbox. With <paramref name="keepInMemory"/> (a short unit) its report waits
    /// in memory for the next <see cref="PendingReports"/> to write it with the others; its lease stays in the inbox
    /// file until then, so a crash meanwhile only means computing it again.
    /// </summary>
    public void Finish(ReplicaReport report, bool keepInMemory)
    {
        lock (_gate)
        {
            if (keepInMemory)
            {
                _unwritten.Add(report);
            }
            else
            {
                WriteReports([report]);
            }
            _pending[report.Ref] = report;
            _leased.Remove(report.Ref);
            _inboxStale = true;
        }
        File.Delete(CheckpointOf(report.Ref));
    }

    /// <summary>Drops a leased replica and its checkpoint (cancelled by the coordinator).</summary>
    public void Forget(ReplicaRef replica)
    {
        lock (_gate)
        {
            if (_leased.Remove(replica))
            {
                _inboxStale = true;
            }
        }
        File.Delete(CheckpointOf(replica));
    }

    /// <summary>
    /// The reports not yet acknowledged, oldest first, every one of them on disk: those kept in memory are written
    /// now, as one file. A sync sends only what this returns.
    /// </summary>
    public IReadOnlyList<ReplicaReport> PendingReports()
    {
        lock (_gate)
        {
            if (_unwritten.Count > 0)
            {
                WriteReports(_unwritten);
                _unwritten.Clear();
            }
            return [.. _pending.Values];
        }
    }

    public void Acknowledged(ReplicaRef replica) => Settle([replica], []);

    /// <summary>
    /// What a sync's answer changes, in one write of the inbox: the <paramref name="acknowledged"/> reports leave the
    /// outbox and the <paramref name="leased"/> units join the inbox (on disk before this returns, so before they start).
    /// </summary>
    public void Settle(IReadOnlyCollection<ReplicaRef> acknowledged, IReadOnlyList<Assignment> leased)
    {
        List<string> emptied = [];
        lock (_gate)
        {
            foreach (var assignment in leased)
            {
                if (_leased.TryAdd(assignment.Ref, assignment))
                {
                    _inboxStale = true;
                }
            }
            foreach (var replica in acknowledged)
            {
                _pending.Remove(replica);
                _unwritten.RemoveAll(r => r.Ref == replica);
                if (_fileOf.Remove(replica, out var file) && _reportsIn[file].Remove(replica) && _reportsIn[file].Count == 0)
                {
                    _reportsIn.Remove(file);
                    emptied.Add(file);
                }
            }
            // The inbox no longer lists a unit whose report file goes, or a crash would compute it again.
            if (_inboxStale)
            {
                WriteInbox();
            }
        }
        foreach (var file in emptied)
        {
            File.Delete(file);
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
            return SavedCheckpoint.TryRead(File.ReadAllBytes(CheckpointOf(replica)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Replaces the replica's checkpoint, durably and as a whole: state, the fraction it stands for and when.</summary>
    public void SaveCheckpoint(ReplicaRef replica, SavedCheckpoint checkpoint) =>
        DurableFile.Write(CheckpointOf(replica), checkpoint.ToBytes());

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

    public (int Leased, int Checkpoints, int Unacknowledged) Count()
    {
        lock (_gate)
        {
            return (_leased.Count, Directory.GetFiles(_checkpoints, "*.bin").Length, _pending.Count);
        }
    }

    /// <summary>Removes the inbox, outbox and checkpoints with everything in them.</summary>
    public void Delete()
    {
        foreach (var folder in new[] { _inbox, _outbox, _checkpoints })
        {
            Directory.Delete(folder, recursive: true);
        }
        lock (_gate)
        {
            _leased.Clear();
            _pending.Clear();
            _unwritten.Clear();
            _fileOf.Clear();
            _reportsIn.Clear();
        }
    }

    /// <summary>Writes these reports as one outbox file (a report alone under its replica's name). Called under the lock.</summary>
    private void WriteReports(IReadOnlyList<ReplicaReport> reports)
    {
        string path;
        if (reports.Count == 1)
        {
            path = Path.Combine(_outbox, NameOf(reports[0].Ref) + ".json");
            DurableFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(reports[0], ProtocolJson.Options));
        }
        else
        {
            // Numbered after those found at opening, so that files sort in the order written.
            path = Path.Combine(_outbox, $"{GroupPrefix}{++_groups:D12}.json");
            DurableFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(reports, ProtocolJson.Options));
        }
        _reportsIn[path] = [.. reports.Select(r => r.Ref)];
        foreach (var report in reports)
        {
            _fileOf[report.Ref] = path;
        }
    }

    /// <summary>Rewrites the inbox file with the leases held. Called under the lock (or from the constructor).</summary>
    private void WriteInbox()
    {
        DurableFile.Write(Path.Combine(_inbox, LeasesFile), JsonSerializer.SerializeToUtf8Bytes(_leased.Values.ToList(), ProtocolJson.Options));
        _inboxStale = false;
    }

    private string CheckpointOf(ReplicaRef replica) => Path.Combine(_checkpoints, NameOf(replica) + ".bin");

    private static string NameOf(ReplicaRef replica) => $"{replica.JobId:N}-{replica.UnitIndex}-{replica.Replica}";

    /// <summary>A file holding one item (as earlier agents wrote each) or a list of them.</summary>
    private static List<T> ReadOneOrMany<T>(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().TrimStart(" \t\r\n"u8) is [(byte)'[', ..]
            ? JsonSerializer.Deserialize<List<T>>(bytes, ProtocolJson.Options)!
            : [JsonSerializer.Deserialize<T>(bytes, ProtocolJson.Options)!];
    }
}

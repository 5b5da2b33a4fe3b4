using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Peers;

/// <summary>
/// Reports other workers handed this agent to forward while they cannot reach a coordinator, under relay/ in its
/// state directory, one file per bundle. A bundle is taken only with a pass the coordinator signed and reports the
/// pass's worker signed, within a bound on its size, on how many bundles are kept and on their bytes; it is on disk
/// before the peer is told 202, goes up in this agent's syncs, and is deleted once the coordinator said what it made
/// of it.
/// </summary>
public sealed class RelayInbox
{
    public const string FolderName = "relay";

    private readonly string _folder;
    private readonly int _maxBundles;
    private readonly long _maxBytes;
    private readonly Lock _gate = new();

    /// <summary>The bundles held, oldest first, by id.</summary>
    private readonly OrderedDictionary<string, HeldBundle> _held = new(StringComparer.Ordinal);

    private long _bytes;

    public RelayInbox(string stateDirectory, int maxBundles, long maxBytes)
    {
        _folder = Directory.CreateDirectory(Path.Combine(stateDirectory, FolderName)).FullName;
        (_maxBundles, _maxBytes) = (maxBundles, maxBytes);
        foreach (var leftover in Directory.GetFiles(_folder, "*.tmp"))
        {
            File.Delete(leftover);
        }
        // File names begin with the time they arrived, so that the oldest go up first.
        foreach (var path in Directory.GetFiles(_folder, "*.json").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            var reports = JsonSerializer.Deserialize<RelayedReports>(bytes, ProtocolJson.Options)!;
            var bundle = new HeldBundle(IdOf(reports.WorkerId, reports.Signature), reports, path, bytes.Length);
            _held[bundle.Id] = bundle;
            _bytes += bundle.Bytes;
        }
    }

    /// <summary>The most a request to relay may carry, in bytes.</summary>
    public long MaxBundleBytes(SyncLimits limits) => Math.Min(_maxBytes, limits.MaxSyncBodyBytes);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// Checks a bundle a peer hands over and keeps it durably if it is good: signed by the worker whose pass the
    /// coordinator signed, within the coordinator's bounds on a sync, and with room for it.
    /// </summary>
    public RelayAdmission Admit(RelayBundle bundle, ECDsa coordinatorKey, DateTimeOffset now, SyncLimits limits)
    {
        if (bundle.Reports.Count == 0 || bundle.Reports.Count > limits.MaxReportsPerSync)
        {
            return new RelayAdmission.Malformed($"A bundle carries 1 to {limits.MaxReportsPerSync} reports.");
        }
        if (!CoordinatorSignature.Verify(coordinatorKey, bundle.Pass, now))
        {
            return new RelayAdmission.Refused("The pass is not signed by the project's coordinator, or it has expired.");
        }
        ECDsa origin;
        try
        {
            origin = ReportSignature.ImportPublicKey(bundle.Pass.PublicKey);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return new RelayAdmission.Malformed("The pass's public key is not a P-256 key.");
        }
        using (origin)
        {
            if (!ReportSignature.Verify(origin, bundle.Pass.WorkerId, bundle.Reports, bundle.Signature))
            {
                return new RelayAdmission.Refused("The reports are not signed by the worker the pass names.");
            }
        }
        var reports = new RelayedReports(bundle.Pass.WorkerId, bundle.Reports, bundle.Signature);
        var content = JsonSerializer.SerializeToUtf8Bytes(reports, ProtocolJson.Options);
        var id = IdOf(reports.WorkerId, reports.Signature);
        lock (_gate)
        {
            if (_held.ContainsKey(id))
            {
                return new RelayAdmission.Stored(id);
            }
            if (_held.Count >= _maxBundles || _bytes + content.Length > _maxBytes)
            {
                return new RelayAdmission.Full($"This peer already keeps {_held.Count} bundles ({_bytes} bytes) to forward; ask another.");
            }
            var path = Path.Combine(_folder, $"{now.ToUnixTimeMilliseconds():D15}-{id}.json");
            DurableFile.Write(path, content);
            _held[id] = new HeldBundle(id, reports, path, content.Length);
            _bytes += content.Length;
            return new RelayAdmission.Stored(id);
        }
    }

    /// <summary>The oldest bundles that fit in one sync: at most <paramref name="maxBundles"/>, with at most <paramref name="maxReports"/> reports in all.</summary>
    public IReadOnlyList<HeldBundle> ForSync(int maxBundles, int maxReports)
    {
        var chosen = new List<HeldBundle>();
        lock (_gate)
        {
            foreach (var bundle in _held.Values)
            {
                if (chosen.Count == maxBundles)
                {
                    break;
                }
                if (bundle.Reports.Reports.Count <= maxReports)
                {
                    chosen.Add(bundle);
                    maxReports -= bundle.Reports.Reports.Count;
                }
            }
        }
        return chosen;
    }

    /// <summary>The coordinator said what it made of the bundle: it is done with.</summary>
    public void Forwarded(string id)
    {
        lock (_gate)
        {
            if (_held.Remove(id, out var bundle))
            {
                File.Delete(bundle.Path);
                _bytes -= bundle.Bytes;
            }
        }
    }

    /// <summary>Bundles held in a state directory, for the status of an agent that is not running.</summary>
    public static int CountIn(string stateDirectory)
    {
        var folder = Path.Combine(stateDirectory, FolderName);
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json").Length : 0;
    }

    /// <summary>Removes the folder with everything in it (detach).</summary>
    public static void Delete(string stateDirectory)
    {
        var folder = Path.Combine(stateDirectory, FolderName);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>One bundle per origin signature: the same bundle handed over twice is kept once.</summary>
    private static string IdOf(Guid origin, string signature) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{origin:D}\n{signature}")));
}

/// <summary>A bundle kept to forward: the reports as they go up, the file they are in and its size.</summary>
public sealed record HeldBundle(string Id, RelayedReports Reports, string Path, long Bytes);

/// <summary>What the relay inbox made of a bundle handed to it.</summary>
public abstract record RelayAdmission
{
    private RelayAdmission()
    {
    }

    /// <summary>On disk (now or before), to go up in a sync.</summary>
    public sealed record Stored(string Id) : RelayAdmission;

    /// <summary>Not a bundle this peer can take (400).</summary>
    public sealed record Malformed(string Detail) : RelayAdmission;

    /// <summary>The pass or the signature does not hold (403).</summary>
    public sealed record Refused(string Detail) : RelayAdmission;

    /// <summary>No room for it (503): the sender should ask another peer.</summary>
    public sealed record Full(string Detail) : RelayAdmission;
}

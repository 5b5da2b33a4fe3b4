using System.Collections.Concurrent;
using System.Security.Cryptography;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Authentication;

/// <summary>
/// Authenticates workers and holds their records and public keys. A worker's record never changes after attach,
/// so each silo may cache it; the store stays the source of truth. The host's grain takes its record from here too,
/// so a host's first sync reads it once, not twice.
/// </summary>
public sealed class WorkerDirectory(IWorkStore store)
{
    /// <summary>
    /// Imported keys kept for the workers that reported most recently, about this many (two generations of half each).
    /// Importing a key costs about 150 µs and each kept one 2 KiB of OpenSSL memory (measured here): kept for every one
    /// of 100,000 volunteers, keys alone would take 200 MiB, while a population whose units take minutes reports in few
    /// of its syncs; a saturating load of a few thousand hosts finds all its keys here.
    /// </summary>
    public const int KeysKept = 8192;

    private readonly ConcurrentDictionary<Guid, AttachedWorker> _workers = new();
    private readonly Lock _turning = new();
    private ConcurrentDictionary<Guid, ECDsa> _keys = new();
    private ConcurrentDictionary<Guid, ECDsa> _olderKeys = new();

    public async Task<AttachedWorker?> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (!IdentifiedSecret.TryParseId(token, out var workerId))
        {
            return null;
        }
        var worker = await FindAsync(workerId, cancellationToken);
        return worker is not null && SecretHash.Matches(token!, worker.Record.TokenHash) ? worker : null;
    }

    /// <summary>An attached worker by its id, with its public key (to check reports another worker relays for it); null when there is none.</summary>
    public async Task<AttachedWorker?> FindAsync(Guid workerId, CancellationToken cancellationToken)
    {
        if (_workers.TryGetValue(workerId, out var worker))
        {
            return worker;
        }
        var record = await store.FindWorkerAsync(workerId, cancellationToken);
        return record is null ? null : _workers.GetOrAdd(workerId, new AttachedWorker(record));
    }

    /// <summary>Whether <paramref name="worker"/>'s key signed these reports together.</summary>
    public bool SignedBy(AttachedWorker worker, IReadOnlyList<ReplicaReport> reports, string? signature) =>
        ReportSignature.Verify(KeyOf(worker), worker.Id, reports, signature);

    private ECDsa KeyOf(AttachedWorker worker)
    {
        if (_keys.TryGetValue(worker.Id, out var key))
        {
            return key;
        }
        key = _olderKeys.TryGetValue(worker.Id, out var older) ? older : ReportSignature.ImportPublicKey(worker.Record.PublicKey);
        if (_keys.Count >= KeysKept / 2)
        {
            lock (_turning)
            {
                if (_keys.Count >= KeysKept / 2)
                {
                    // Keys dropped here are not disposed (a verification may be using one): their finalizers free them.
                    (_olderKeys, _keys) = (_keys, new ConcurrentDictionary<Guid, ECDsa>());
                }
            }
        }
        _keys[worker.Id] = key;
        return key;
    }
}

/// <summary>An attached worker: its record as the store keeps it.</summary>
public sealed class AttachedWorker(WorkerRecord record)
{
    public WorkerRecord Record { get; } = record;

    public Guid Id => Record.Id;

    public Guid AccountId => Record.AccountId;
}

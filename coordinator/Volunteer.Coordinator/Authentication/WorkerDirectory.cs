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
    /// Imported keys kept for the workers that reported most recently, from their second report on, about this many (two
    /// generations of half each).
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

    /// <summary>
    /// Workers whose key was imported for one report lately and not kept: a second report while it is here keeps the key.
    /// Cleared once it holds <see cref="KeysKept"/> workers (16 bytes each).
    /// </summary>
    private readonly ConcurrentDictionary<Guid, byte> _reportedOnce = new();

    /// <summary>About how many <see cref="_reportedOnce"/> holds: a concurrent dictionary's own count takes all its locks.</summary>
    private int _reportedOnceCount;

    /// <summary>Imported keys kept now (for tests).</summary>
    internal int KeysHeld => _keys.Count + _olderKeys.Count;

    /// <summary>
    /// Whether <paramref name="worker"/>'s key signed these reports together. A worker not seen reporting lately has its
    /// key imported for this report alone and freed at once: in a population whose hosts report once in ten minutes
    /// nearly every report missed the kept keys, and each key imported and kept held 2 KiB of OpenSSL memory until a full
    /// collection ran its finalizer (at 100,000 volunteers, 170 reports a second, memory outside the GC heap grew from
    /// 166 to 557 MiB in a 16-minute run and stood still only in the minutes after its one full collection: dotnet-counters,
    /// working set minus GC-committed).
    /// </summary>
    public bool SignedBy(AttachedWorker worker, IReadOnlyList<ReplicaReport> reports, string? signature)
    {
        if (KeptKeyOf(worker) is { } kept)
        {
            return ReportSignature.Verify(kept, worker.Id, reports, signature);
        }
        if (!_reportedOnce.TryAdd(worker.Id, 0))
        {
            return ReportSignature.Verify(Keep(worker, ReportSignature.ImportPublicKey(worker.Record.PublicKey)), worker.Id, reports, signature);
        }
        if (Interlocked.Increment(ref _reportedOnceCount) > KeysKept)
        {
            // Two reporters may both clear: the set is a hint (a worker missed here has its key imported once more).
            Interlocked.Exchange(ref _reportedOnceCount, 0);
            _reportedOnce.Clear();
        }
        using var key = ReportSignature.ImportPublicKey(worker.Record.PublicKey);
        return ReportSignature.Verify(key, worker.Id, reports, signature);
    }

    private ECDsa? KeptKeyOf(AttachedWorker worker)
    {
        if (_keys.TryGetValue(worker.Id, out var key))
        {
            return key;
        }
        return _olderKeys.TryGetValue(worker.Id, out var older) ? Keep(worker, older) : null;
    }

    private ECDsa Keep(AttachedWorker worker, ECDsa key)
    {
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

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
    private readonly ConcurrentDictionary<Guid, AttachedWorker> _workers = new();

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
}

/// <summary>
/// An attached worker, with its public key imported when first needed to verify its reports: importing costs about
/// 150 µs and 2 KiB of OpenSSL memory, which a record looked up only for its account or cores (a job telling its host
/// grain of a judgement, on another silo) never needs.
/// </summary>
public sealed class AttachedWorker(WorkerRecord record)
{
    private ECDsa? _publicKey;

    public WorkerRecord Record { get; } = record;

    public Guid Id => Record.Id;

    public Guid AccountId => Record.AccountId;

    public ECDsa PublicKey => LazyInitializer.EnsureInitialized(ref _publicKey, () => ReportSignature.ImportPublicKey(Record.PublicKey));
}

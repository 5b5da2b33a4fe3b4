using System.Collections.Concurrent;
using System.Security.Cryptography;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Authentication;

/// <summary>
/// Authenticates workers and holds their public keys. A worker's record never changes after attach,
/// so each silo may cache it; the store stays the source of truth.
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
        return record is null ? null : _workers.GetOrAdd(workerId, new AttachedWorker(record, ReportSignature.ImportPublicKey(record.PublicKey)));
    }
}

/// <summary>An attached worker with its public key ready to verify reports.</summary>
public sealed record AttachedWorker(WorkerRecord Record, ECDsa PublicKey)
{
    public Guid Id => Record.Id;

    public Guid AccountId => Record.AccountId;
}

using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Peers;

/// <summary>The peer side of one sync: what goes up with it, kept to be acknowledged when the answer comes.</summary>
/// <param name="Advert">The endpoint and the holdings' changes, as sent.</param>
/// <param name="Holdings">The cache's advert the request's holdings come from.</param>
/// <param name="Relayed">Other workers' bundles carried up, in the order sent.</param>
/// <param name="Transfers">Fetches reported.</param>
public sealed record PeerSyncPart(PeerAdvert Advert, HoldingsAdvert Holdings, IReadOnlyList<HeldBundle> Relayed, IReadOnlyList<TransferReport> Transfers);

/// <summary>
/// The agent as a peer: its endpoint, its blob cache and what pins it, the uploads the coordinator asks for, the
/// bundles it forwards for others and its own reports relayed when it is cut off. The sync loop asks it what to add
/// to each sync and tells it each answer.
/// </summary>
public sealed class PeerNode(
    PeerServer server,
    BlobCache cache,
    SwarmFetcher fetcher,
    TransferLog transfers,
    RelayInbox inbox,
    RelayCourier courier,
    UploadBudget budget,
    CoordinatorPublicKey coordinatorKey,
    CoordinatorClient coordinator,
    CoordinatorReach reach,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    ILogger<PeerNode> logger)
{
    private readonly WorkerOptions _settings = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task> _uploads = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;

    /// <summary>
    /// Starts the endpoint (unless the volunteer turned serving off), the relay of this agent's reports when it is cut
    /// off, and, for an identity that does not know the coordinator's key, the one request that learns it.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await server.StartAsync(cancellationToken);
        _background = Task.WhenAll(RelayWhenCutOffAsync(_stopping.Token), coordinatorKey.Key is null ? LearnCoordinatorKeyAsync(_stopping.Token) : Task.CompletedTask);
    }

    /// <summary>Stops fetches, uploads and relaying, then the endpoint.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await fetcher.StopAsync();
        Task[] uploads;
        lock (_gate)
        {
            uploads = [.. _uploads.Values];
        }
        await Task.WhenAll(uploads);
        await _background;
        await server.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// A lease came in (or was found in the inbox at start): its blobs (and its app's module) are pinned, and their
    /// holders noted as peers.
    /// </summary>
    public void Leased(Assignment assignment)
    {
        IReadOnlyList<BlobSource> blobs = [.. assignment.Blobs ?? [], .. assignment.Module is { } module ? [module.Source] : Array.Empty<BlobSource>()];
        if (blobs.Count > 0)
        {
            cache.PinForLease(assignment.Ref, blobs.Select(b => b.Manifest.Digest));
            courier.LearnHolders(blobs.SelectMany(b => b.Holders));
        }
    }

    /// <summary>The lease left the inbox (its unit finished, or the coordinator cancelled it): its blobs may be evicted.</summary>
    public void LeaseEnded(ReplicaRef lease) => cache.UnpinLease(lease);

    /// <summary>The coordinator cancelled the replica, or refused its report: nobody will pull its result.</summary>
    public void ResultDropped(ReplicaRef replica) => cache.ReleaseResultOf(replica);

    /// <summary>What this sync carries as a peer: the advert, the relayed bundles that fit beside <paramref name="ownReports"/> reports, the finished fetches.</summary>
    public PeerSyncPart ForSync(SyncLimits limits, int ownReports)
    {
        var holdings = cache.Advert(limits.MaxInProgress);
        var advert = new PeerAdvert(server.Port, holdings.Added, holdings.Removed, holdings.Complete, _settings.UploadBytesPerSecond);
        return new PeerSyncPart(advert, holdings,
            inbox.ForSync(limits.MaxRelayedPerSync, limits.MaxReportsPerSync - ownReports),
            transfers.ForSync(limits.MaxInProgress));
    }

    /// <summary>The coordinator accepted the sync: what it carried is known, and its directions are followed.</summary>
    public void Answered(PeerSyncPart part, SyncResponse response)
    {
        cache.Advertised(part.Holdings);
        transfers.Reported(part.Transfers);
        if (response.Relayed is { } outcomes)
        {
            foreach (var (bundle, outcome) in part.Relayed.Zip(outcomes))
            {
                // Accepted or refused, the coordinator has decided on it: carrying it again would change nothing.
                inbox.Forwarded(bundle.Id);
                Log.RelayForwarded(logger, bundle.Reports.WorkerId, outcome.Accepted, outcome.Refused.Count);
            }
        }
        if (response.Peer is not { } directions)
        {
            return;
        }
        if (directions.SendHoldings)
        {
            cache.SendEverything();
        }
        cache.Release(directions.Release);
        courier.Remember(directions);
        foreach (var digest in directions.Uploads)
        {
            Upload(digest);
        }
    }

    /// <summary>
    /// The coordinator rejected the sync as malformed: the relayed bundles it carried are dropped, in case they were
    /// why, so that the next sync goes up without them. Their origins keep their reports until a coordinator has them.
    /// </summary>
    public void Rejected(PeerSyncPart part)
    {
        foreach (var bundle in part.Relayed)
        {
            inbox.Forwarded(bundle.Id);
            Log.RelayDropped(logger, bundle.Reports.WorkerId);
        }
    }

    public PeerStatus Status() =>
        new(server.Endpoint?.ToString(), _settings.UploadBytesPerSecond, cache.UsedBytes, cache.Capacity, cache.BlobsHeld, inbox.Count, courier.RelayedReports);

    /// <summary>Uploads a result blob the coordinator asked for, unless an upload of it is under way.</summary>
    private void Upload(string digest)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || _uploads.ContainsKey(digest))
            {
                return;
            }
            _uploads[digest] = UploadAsync(digest, _stopping.Token);
        }
    }

    private async Task UploadAsync(string digest, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            if (!cache.Holds(digest))
            {
                Log.UploadNotHeld(logger, digest);
                return;
            }
            if (await coordinator.UploadBlobAsync(digest, () => cache.OpenRead(digest) ?? throw new FileNotFoundException($"Blob {digest} was evicted."), budget, cancellationToken))
            {
                Log.Uploaded(logger, digest);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException ex)
        {
            Log.UploadFailed(logger, digest, null, ex.Message);
        }
        finally
        {
            lock (_gate)
            {
                _uploads.Remove(digest);
            }
        }
    }

    /// <summary>Each failed attempt to reach a coordinator, once they have been failing for <see cref="WorkerOptions.RelayAfter"/>, hands reports to a peer.</summary>
    private async Task RelayWhenCutOffAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await reach.NextFailureAsync(cancellationToken);
                if (reach.CutOffFor >= _settings.RelayAfter)
                {
                    await courier.RelayAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LearnCoordinatorKeyAsync(CancellationToken cancellationToken)
    {
        try
        {
            var key = await coordinator.GetCoordinatorKeyAsync(cancellationToken);
            coordinatorKey.Learn(key);
            (identity with { CoordinatorKey = key }).Save(_settings.StateDirectory);
            Log.CoordinatorKeyLearned(logger);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or CryptographicException or System.Text.Json.JsonException)
        {
            Log.CoordinatorKeyUnknown(logger, ex.Message);
        }
    }
}

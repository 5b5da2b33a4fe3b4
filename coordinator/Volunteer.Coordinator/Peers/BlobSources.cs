using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Peers;

/// <summary>
/// Where a worker fetches the blobs its new leases read: each blob's manifest (cached on this silo: a blob never
/// changes), a ticket the coordinator's key signs for this worker, blob and job, and a few listed holders.
/// </summary>
public sealed class BlobSources(
    IBlobStore blobs,
    CoordinatorKey coordinatorKey,
    IGrainFactory grains,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    ILogger<BlobSources> logger)
{
    /// <summary>Manifests kept on this silo; a job's inputs are few, and a large blob's manifest is large.</summary>
    public const int MaxCachedManifests = 256;

    private readonly ConcurrentDictionary<string, BlobManifest> _manifests = new(StringComparer.Ordinal);

    /// <param name="network">The worker's network, for holders close by; null when unknown.</param>
    /// <param name="joining">The worker as a holder, when the coordinator lists its endpoint: it joins each blob's holders as it fetches.</param>
    public async Task<IReadOnlyList<BlobSource>> ForAsync(Guid workerId, Guid jobId, IReadOnlyList<string> digests, string? network, BlobHolder? joining = null)
    {
        var settings = options.Value;
        var expiresAt = time.GetUtcNow() + settings.TicketLifetime;
        var sources = await Task.WhenAll(digests.Select(async digest =>
        {
            if (await ManifestAsync(digest) is not { } manifest)
            {
                // A job is accepted only once its blobs are stored, and they are kept while it runs.
                Log.InputBlobMissing(logger, jobId, digest);
                return null;
            }
            IReadOnlyList<PeerHolder> holders = settings.ListPeers
                ? await grains.Reference<IBlobHoldersGrain>(digest).PickAsync(workerId, network, settings.HoldersPerBlob, joining)
                : [];
            return new BlobSource(manifest, CoordinatorSignature.Ticket(coordinatorKey.Signer, digest, workerId, jobId, expiresAt), holders);
        }));
        return [.. sources.OfType<BlobSource>()];
    }

    private async Task<BlobManifest?> ManifestAsync(string digest)
    {
        if (_manifests.TryGetValue(digest, out var cached))
        {
            return cached;
        }
        var manifest = await blobs.FindAsync(digest);
        if (manifest is not null)
        {
            if (_manifests.Count >= MaxCachedManifests)
            {
                _manifests.Clear();
            }
            _manifests[digest] = manifest;
        }
        return manifest;
    }
}

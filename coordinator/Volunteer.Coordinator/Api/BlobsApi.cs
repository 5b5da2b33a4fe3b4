using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Settings;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// The blob API: scientists upload blobs (a manifest then its chunks, resumable, or the whole blob in one stream) and
/// download them; workers fetch the chunks their tickets allow; anyone may read the coordinator's public key.
/// </summary>
public static class BlobsApi
{
    /// <summary>The longest ticket header read: a ticket is a digest, two ids, a time and a signature.</summary>
    public const int MaxTicketHeaderLength = 2048;

    public static RouteGroupBuilder MapBlobsApi(this IEndpointRouteBuilder routes)
    {
        var maxBlobBytes = routes.ServiceProvider.GetRequiredService<IOptions<VolunteerOptions>>().Value.MaxBlobBytes;
        routes.MapGet("/" + Routes.CoordinatorKey, GetCoordinatorKey).WithTags("Blobs").WithName("GetCoordinatorKey")
            .WithSummary("The coordinator's public key (SubjectPublicKeyInfo, base64), which signs blob tickets and peer passes.");
        var blobs = routes.MapGroup("/" + Routes.Blobs).WithTags("Blobs");
        blobs.MapPost("/", BeginUploadAsync).WithName("BeginBlobUpload").RequireApiKey()
            .WithMetadata(new BodyLimit(MaxManifestBytes(maxBlobBytes)))
            .WithSummary("Begin (or resume) an upload by the blob's manifest: says which chunks are still missing.");
        blobs.MapPut("/{digest}/chunks/{index}", PutChunkAsync).WithName("PutBlobChunk").RequireApiKey()
            .WithMetadata(new BodyLimit(BlobManifest.DefaultChunkSize))
            .WithSummary("Upload one chunk of a blob whose upload was begun; the last one completes the blob once the whole is verified.");
        blobs.MapPut("/{digest}", PutBlobAsync).WithName("PutBlob").RequireApiKey()
            .WithMetadata(new BodyLimit(maxBlobBytes))
            .WithSummary("Upload a whole blob in one stream; it is kept only if its content has this digest.");
        blobs.MapGet("/{digest}", GetBlobAsync).WithName("GetBlob").RequireApiKey()
            .WithSummary("Download a complete blob.");
        blobs.MapGet("/{digest}/manifest", GetManifestAsync).WithName("GetBlobManifest").RequireApiKeyOrWorkerToken()
            .WithSummary("A complete blob's manifest: its size and its chunks' digests.");
        blobs.MapGet("/{digest}/chunks/{index}", GetChunkAsync).WithName("GetBlobChunk").RequireApiKeyOrWorkerToken()
            .WithSummary($"One chunk of a complete blob; a worker shows a ticket for the blob in the {PeerRoutes.TicketHeader} header.");
        return blobs;
    }

    /// <summary>A manifest lists a digest of about 75 characters in JSON per chunk of the largest blob, with room around them.</summary>
    public static long MaxManifestBytes(long maxBlobBytes) => (maxBlobBytes / BlobManifest.DefaultChunkSize + 1) * 80 + 4096;

    private static Ok<CoordinatorPublicKey> GetCoordinatorKey(CoordinatorKey key) => TypedResults.Ok(new CoordinatorPublicKey(key.PublicKey));

    private static async Task<Results<Created<BlobUploadStatus>, Ok<BlobUploadStatus>, ProblemHttpResult>> BeginUploadAsync(
        BlobManifest manifest, IBlobStore blobs, TimeProvider time, IOptions<VolunteerOptions> options, CancellationToken cancellationToken)
    {
        var maxBlobBytes = options.Value.MaxBlobBytes;
        if (manifest.Size > maxBlobBytes)
        {
            return Problems.TooLarge($"A blob may be at most {maxBlobBytes} bytes; this one is {manifest.Size}.");
        }
        if (manifest.Problem(maxBlobBytes) is { } problem)
        {
            return Problems.BadRequest(problem);
        }
        var status = await blobs.BeginAsync(manifest, time.GetUtcNow(), cancellationToken);
        if (!status.Complete && status.MissingChunks.Count == 0)
        {
            return ChunksAreNotTheDigest(manifest.Digest);
        }
        // Created: an upload with nothing in yet. OK: an upload resumed, or a blob already complete.
        return !status.Complete && status.MissingChunks.Count == manifest.Chunks.Count
            ? TypedResults.Created("/" + Routes.Blob(manifest.Digest), status)
            : TypedResults.Ok(status);
    }

    private static async Task<Results<Ok<BlobUploadStatus>, ProblemHttpResult>> PutChunkAsync(
        string digest, string index, HttpRequest request, IBlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var indexProblem = IndexProblem(index, out var chunkIndex);
        if ((DigestProblem(digest) ?? indexProblem) is { } problem)
        {
            return problem;
        }
        // One byte more than a chunk tells a body too large from one that fits exactly.
        var buffer = ArrayPool<byte>.Shared.Rent(BlobManifest.DefaultChunkSize + 1);
        try
        {
            var length = await request.Body.ReadAtLeastAsync(buffer.AsMemory(0, BlobManifest.DefaultChunkSize + 1),
                BlobManifest.DefaultChunkSize + 1, throwOnEndOfStream: false, cancellationToken);
            if (length > BlobManifest.DefaultChunkSize)
            {
                return Problems.TooLarge($"A chunk is at most {BlobManifest.DefaultChunkSize} bytes.");
            }
            var status = await blobs.PutChunkAsync(digest, chunkIndex, buffer.AsMemory(0, length), time.GetUtcNow(), cancellationToken);
            if (status is null)
            {
                return Problems.NotFound($"No upload of {digest} was begun: POST its manifest to /{Routes.Blobs} first.");
            }
            if (status.Complete)
            {
                return TypedResults.Ok(status);
            }
            if (status.MissingChunks.Count == 0)
            {
                return ChunksAreNotTheDigest(digest);
            }
            var chunkCount = BlobManifest.ChunkCountOf(status.Size, BlobManifest.DefaultChunkSize);
            if (chunkIndex >= chunkCount)
            {
                return Problems.BadRequest($"Blob {digest} has {chunkCount} chunks (0 to {chunkCount - 1}); there is no chunk {chunkIndex}.");
            }
            return status.MissingChunks.Contains(chunkIndex)
                ? Problems.BadRequest($"These {length} bytes are not chunk {chunkIndex} of {digest}: their length or digest is not the manifest's. Nothing was stored.")
                : TypedResults.Ok(status);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<Results<Created<BlobManifest>, ProblemHttpResult>> PutBlobAsync(
        string digest, HttpRequest request, IBlobStore blobs, TimeProvider time, IOptions<VolunteerOptions> options, CancellationToken cancellationToken)
    {
        if (DigestProblem(digest) is { } problem)
        {
            return problem;
        }
        var maxBlobBytes = options.Value.MaxBlobBytes;
        if (request.ContentLength > maxBlobBytes)
        {
            return Problems.TooLarge($"A blob may be at most {maxBlobBytes} bytes; this one is {request.ContentLength}.");
        }
        // The server refuses a body past the endpoint's limit as it is read (413); the store's own bound is the same.
        var manifest = await blobs.PutAsync(digest, request.Body, maxBlobBytes, time.GetUtcNow(), cancellationToken);
        return manifest is null
            ? Problems.BadRequest($"The content's SHA-256 is not {digest}: nothing was kept. Compute the digest with sha256sum over the bytes sent.")
            : TypedResults.Created("/" + Routes.Blob(digest), manifest);
    }

    private static async Task<Results<BlobContent, ProblemHttpResult>> GetBlobAsync(string digest, IBlobStore blobs, CancellationToken cancellationToken)
    {
        if (DigestProblem(digest) is { } problem)
        {
            return problem;
        }
        return await blobs.FindAsync(digest, cancellationToken) is { } manifest ? new BlobContent(manifest, blobs) : NoSuchBlob(digest);
    }

    private static async Task<Results<Ok<BlobManifest>, ProblemHttpResult>> GetManifestAsync(string digest, IBlobStore blobs, CancellationToken cancellationToken)
    {
        if (DigestProblem(digest) is { } problem)
        {
            return problem;
        }
        return await blobs.FindAsync(digest, cancellationToken) is { } manifest ? TypedResults.Ok(manifest) : NoSuchBlob(digest);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetChunkAsync(
        string digest, string index, HttpContext http, IBlobStore blobs, CoordinatorKey key, RelayCounters relay, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var indexProblem = IndexProblem(index, out var chunkIndex);
        if ((DigestProblem(digest) ?? indexProblem) is { } problem)
        {
            return problem;
        }
        BlobTicket? ticket = null;
        if (http.AttachedWorker() is { } worker)
        {
            ticket = TicketOf(http.Request.Headers[PeerRoutes.TicketHeader].ToString());
            if (!CoordinatorSignature.Verify(key.Signer, ticket, digest, time.GetUtcNow()) || ticket!.WorkerId != worker.Id)
            {
                return Problems.Forbidden(
                    $"A worker fetches a blob's chunks with a ticket the coordinator signed for that blob and that worker, unexpired, " +
                    $"as base64 of its JSON in the {PeerRoutes.TicketHeader} header.");
            }
        }
        var chunk = await blobs.ReadChunkAsync(digest, chunkIndex, cancellationToken);
        if (chunk is null)
        {
            return Problems.NotFound($"There is no chunk {chunkIndex} of a complete blob {digest}.");
        }
        // A worker's fetch is the coordinator's share of the job's relay; a scientist's download is not.
        if (ticket is not null && ticket.JobId != Guid.Empty)
        {
            relay.CountCoordinatorBytes(ticket.JobId, chunk.Length);
        }
        return TypedResults.Bytes(chunk, "application/octet-stream");
    }

    private static BlobTicket? TicketOf(string header)
    {
        if (header.Length is 0 or > MaxTicketHeaderLength)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<BlobTicket>(Encoding.UTF8.GetString(Convert.FromBase64String(header)), ProtocolJson.Options);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static ProblemHttpResult? DigestProblem(string digest) =>
        ContentDigest.IsWellFormed(digest) ? null
            : Problems.BadRequest($"{Problems.Quote(digest)} is not a blob digest: \"sha256:\" followed by 64 lowercase hex digits.");

    private static ProblemHttpResult? IndexProblem(string index, out int chunkIndex) =>
        int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out chunkIndex) ? null
            : Problems.BadRequest($"{Problems.Quote(index)} is not a chunk index (0 or more).");

    private static ProblemHttpResult NoSuchBlob(string digest) => Problems.NotFound($"There is no complete blob {digest}.");

    private static ProblemHttpResult ChunksAreNotTheDigest(string digest) => Problems.BadRequest(
        $"The chunks the manifest lists do not add up to {digest}: the upload is discarded. Begin again with the blob's true manifest.");
}

/// <summary>The coordinator's public key, as GET api/v1/coordinator-key answers it.</summary>
public sealed record CoordinatorPublicKey(string PublicKey);

/// <summary>A complete blob streamed chunk by chunk, so that it is never whole in memory; bytes unless its media type is known.</summary>
public sealed class BlobContent(BlobManifest manifest, IBlobStore blobs, string contentType = "application/octet-stream") : IResult, IEndpointMetadataProvider
{
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(byte[]), ["application/octet-stream"]));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = contentType;
        response.ContentLength = manifest.Size;
        response.Headers.ETag = $"\"{manifest.Digest}\"";
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            // A chunk gone mid-download (its blob collected) aborts the response: the client sees fewer bytes than promised.
            var chunk = await blobs.ReadChunkAsync(manifest.Digest, i, httpContext.RequestAborted)
                ?? throw new InvalidOperationException($"Chunk {i} of blob {manifest.Digest} went missing while it was served.");
            await response.Body.WriteAsync(chunk, httpContext.RequestAborted);
        }
    }
}

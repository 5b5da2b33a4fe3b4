using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// Result payloads uploaded by the workers that hold them, when the coordinator cannot pull them (their peer endpoint is
/// not listed, behind NAT say, or did not serve): only a payload the coordinator asked that worker for
/// (<see cref="PeerDirections.Uploads"/>) is taken, checked against its digest as it streams into the blob store.
/// </summary>
public static class WorkerBlobsApi
{
    public static RouteHandlerBuilder MapWorkerBlobsApi(this IEndpointRouteBuilder routes)
    {
        var maxResultBytes = routes.ServiceProvider.GetRequiredService<IOptions<VolunteerOptions>>().Value.MaxResultBytes;
        return routes.MapPut("/" + Routes.WorkerBlob("{digest}"), UploadAsync).WithName("UploadResultBlob").WithTags("Workers")
            .RequireWorkerToken()
            .WithMetadata(new BodyLimit(maxResultBytes))
            .WithSummary("Upload a result payload the coordinator asked this worker for (raw body), as it could not pull it.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UploadAsync(
        string digest, HttpContext http, IGrainFactory grains, IBlobStore blobs, ResultPuller puller, IOptions<VolunteerOptions> options,
        TimeProvider time, ILogger<ResultPuller> logger, CancellationToken cancellationToken)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return Problems.BadRequest($"{Problems.Quote(digest)} is not a blob digest (\"sha256:\" followed by 64 lowercase hex digits).");
        }
        var worker = http.AttachedWorker()!;
        if (!await grains.Reference<IHostGrain>(worker.Id).IsUploadRequestedAsync(digest))
        {
            return Problems.Conflict($"The coordinator has not asked this worker to upload {digest}, or has it already.");
        }
        var maxResultBytes = options.Value.MaxResultBytes;
        if (http.Request.ContentLength > maxResultBytes)
        {
            return Problems.TooLarge($"A result payload is at most {maxResultBytes} bytes.");
        }
        if (await blobs.PutAsync(digest, http.Request.Body, maxResultBytes, time.GetUtcNow(), cancellationToken) is null)
        {
            Log.ResultUploadRefused(logger, worker.Id, digest);
            return Problems.BadRequest($"The body is not {digest}: its digest differs, or it is larger than {maxResultBytes} bytes. Nothing was kept.");
        }
        // Stored and verified: the jobs whose pulls waited here for it take it now (a pull waiting in another silo finds it
        // in the store at the end of its wait).
        foreach (var job in puller.Uploaded(digest))
        {
            await grains.Reference<IJobGrain>(job).ResultBlobStoredAsync(digest);
        }
        return TypedResults.NoContent();
    }
}

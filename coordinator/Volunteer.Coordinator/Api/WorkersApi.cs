using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>The worker API: attach a volunteer host, then sync (reports up, work down).</summary>
public static class WorkersApi
{
    public const string AttachRateLimit = "attach";
    public const string SyncRateLimit = "sync";
    public const int MaxNameLength = 100;
    public const int MaxCores = 4096;

    /// <summary>An attach request is a name, a public key and a core count.</summary>
    public const int MaxAttachBytes = 4 * 1024;

    public static RouteGroupBuilder MapWorkersApi(this IEndpointRouteBuilder routes)
    {
        var limits = routes.ServiceProvider.GetRequiredService<IOptions<VolunteerOptions>>().Value.SyncLimits;
        var workers = routes.MapGroup("/" + Routes.Workers).WithTags("Workers");
        workers.MapPost("/", AttachAsync).WithName("AttachWorker").RequireRateLimiting(AttachRateLimit)
            .WithMetadata(new BodyLimit(MaxAttachBytes))
            .WithSummary("Attach a volunteer host: records its public key, returns its id and secret token.");
        workers.MapPost("/" + Routes.Sync, SyncAsync).WithName("SyncWorker").RequireRateLimiting(SyncRateLimit)
            .RequireWorkerToken()
            .WithMetadata(new BodyLimit(limits.MaxSyncBodyBytes))
            .WithSummary("Report finished replicas and ask for more work in one round trip.");
        return workers;
    }

    private static async Task<Results<Created<WorkerAttachResponse>, ProblemHttpResult>> AttachAsync(
        WorkerAttachRequest request, IWorkStore store, TimeProvider time, IOptions<VolunteerOptions> options)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            return Problems.BadRequest($"'name' must be 1 to {MaxNameLength} characters.");
        }
        if (request.Cores is < 1 or > MaxCores)
        {
            return Problems.BadRequest($"'cores' must be between 1 and {MaxCores}.");
        }
        try
        {
            using var _ = ReportSignature.ImportPublicKey(request.PublicKey);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return Problems.BadRequest("'publicKey' must be an ECDSA P-256 public key (SubjectPublicKeyInfo, base64).");
        }
        var workerId = Guid.NewGuid();
        var token = WorkerDirectory.TokenFor(workerId, SecretHash.NewSecret());
        var batch = new WorkBatch();
        batch.Workers.Add(new WorkerRecord(workerId, request.Name, SecretHash.Of(token), request.PublicKey, request.Cores, time.GetUtcNow()));
        await store.CommitAsync(batch);
        return TypedResults.Created("/" + Routes.Worker(workerId), new WorkerAttachResponse(workerId, token, options.Value.SyncLimits, Guid.Empty));
    }

    private static async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(
        SyncRequest request, HttpContext http, WorkerSync sync) =>
        await sync.SyncAsync(http.AttachedWorker()!, request);
}

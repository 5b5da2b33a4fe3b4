using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Presence;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>The worker API: attach a volunteer host, then sync (reports up, work down).</summary>
public static class WorkersApi
{
    public const string AttachRateLimit = "attach";
    public const int MaxNameLength = 100;
    public const int MaxCores = 4096;

    /// <summary>An attach request is a name, a public key and a core count.</summary>
    public const int MaxAttachBytes = 4 * 1024;

    public static RouteGroupBuilder MapWorkersApi(this IEndpointRouteBuilder routes)
    {
        var limits = routes.ServiceProvider.GetRequiredService<IOptions<VolunteerOptions>>().Value.SyncLimits;
        var workers = routes.MapGroup("/" + Routes.Workers).WithTags("Workers");
        workers.MapPost("/", AttachAsync).WithName("AttachWorker").RequireAdmission().RequireRateLimiting(AttachRateLimit)
            .WithMetadata(new BodyLimit(MaxAttachBytes))
            .WithSummary("Attach a volunteer host: records its public key, returns its id and secret token.");
        workers.MapPost("/" + Routes.Sync, SyncAsync).WithName("SyncWorker").RequireAdmission().RequireSyncRateLimit()
            .RequireWorkerToken()
            .WithMetadata(new BodyLimit(limits.MaxSyncBodyBytes))
            .WithSummary("Report finished replicas and ask for more work in one round trip.");
        workers.MapGet("/{workerId}", GetAsync).WithName("GetWorker").RequireApiKey()
            .WithSummary("An attached host as operators see it: its account, daily quota, replicas in progress and record with each app.");
        return workers;
    }

    private static async Task<Results<Created<WorkerAttachResponse>, ProblemHttpResult>> AttachAsync(
        WorkerAttachRequest request, IWorkStore store, AccountKeys accountKeys, TimeProvider time, IOptions<VolunteerOptions> options,
        CoordinatorKey coordinatorKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            return Problems.BadRequest($"'name' must be 1 to {MaxNameLength} characters.");
        }
        if (request.Cores is < 1 or > MaxCores)
        {
            return Problems.BadRequest($"'cores' must be between 1 and {MaxCores}.");
        }
        string publicKey;
        try
        {
            // Stored as the coordinator re-encodes it, so that no other spelling of one key (whitespace in the
            // base64, say) passes for a second key.
            using var key = ReportSignature.ImportPublicKey(request.PublicKey);
            publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return Problems.BadRequest("'publicKey' must be an ECDSA P-256 public key (SubjectPublicKeyInfo, base64).");
        }
        var now = time.GetUtcNow();
        var batch = new WorkBatch();
        AccountRecord? account;
        string? anonymousKey = null;
        if (request.AccountKey is not null)
        {
            account = await accountKeys.AuthenticateAsync(request.AccountKey, cancellationToken);
            if (account is null)
            {
                return Problems.Unauthorized("The account key is not recognised.");
            }
        }
        else if (options.Value.SignUp == SignUpPolicy.ApiKey)
        {
            // A closed project: an anonymous account would be a sign-up without the API key.
            return Problems.Unauthorized("This project's accounts are created by its operators: attach with an account key.");
        }
        else
        {
            (account, anonymousKey) = AccountKeys.Create("anonymous", null, AccountOrigin.Anonymous, now);
            batch.Accounts.Add(account);
        }
        if (await store.FindWorkerByPublicKeyAsync(publicKey, cancellationToken) is not null)
        {
            return KeyAlreadyAttached();
        }
        var workerId = Guid.NewGuid();
        var token = IdentifiedSecret.Format(workerId, SecretHash.NewSecret());
        batch.Workers.Add(new WorkerRecord(workerId, account.Id, request.Name, SecretHash.Of(token), publicKey, request.Cores, now));
        try
        {
            await store.CommitAsync(batch, cancellationToken);
        }
        catch (Exception)
        {
            // Another attach with this key may have won a race; the store's unique index refused this one.
            if (await store.FindWorkerByPublicKeyAsync(publicKey, CancellationToken.None) is not null)
            {
                return KeyAlreadyAttached();
            }
            throw;
        }
        return TypedResults.Created("/" + Routes.Worker(workerId),
            new WorkerAttachResponse(workerId, token, options.Value.SyncLimits, account.Id, anonymousKey, coordinatorKey.PublicKey));
    }

    private static ProblemHttpResult KeyAlreadyAttached() =>
        Problems.Conflict("A host with this public key is already attached; each host attaches once with a key of its own.");

    private static async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(
        SyncRequest request, HttpContext http, WorkerSync sync, HostPresence presence, IOptions<VolunteerOptions> options)
    {
        var worker = http.AttachedWorker()!;
        // Its token proved, the host is online, whatever becomes of its reports.
        presence.Synced(worker.Id);
        return await sync.SyncAsync(worker, ClientNetwork.Of(http, options.Value), http.Connection.RemoteIpAddress, request);
    }

    private static async Task<Results<Ok<HostStatus>, ProblemHttpResult>> GetAsync(
        string workerId, IWorkStore store, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(workerId, out var id) || await store.FindWorkerAsync(id, cancellationToken) is not { } worker)
        {
            return Problems.NotFound($"There is no worker {Problems.Quote(workerId)}.");
        }
        var limits = await grains.Reference<IHostGrain>(id).GetLimitsAsync();
        var reliability = await store.ListHostReliabilityAsync(id, cancellationToken);
        // A host has a flag for each app at most, so one page holds them all.
        var flagged = (await store.ListHostFlagsAsync(id, Paging.MaxPageSize, cancellationToken: cancellationToken)).Select(f => f.App).ToHashSet();
        return TypedResults.Ok(new HostStatus(worker.Id, worker.AccountId, worker.Name, worker.Cores, worker.CreatedAt,
            limits.DailyQuota, limits.IssuedToday, limits.InProgress, limits.MaxInProgress,
            [.. reliability.Select(r => ReliabilityOf(r.App, r.Tally, flagged.Contains(r.App)))]));
    }

    private static HostAppReliability ReliabilityOf(string app, HostTally tally, bool flagged) =>
        new(app, tally.Valid, tally.Invalid, tally.Errors, tally.TimedOut, tally.ConsecutiveValid, tally.ErrorRate, tally.TimeoutRate,
            tally.AverageTurnaround?.TotalSeconds, flagged);
}

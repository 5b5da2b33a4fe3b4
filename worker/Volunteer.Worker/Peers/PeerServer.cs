using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Peers;

/// <summary>
/// The agent's peer endpoint (Kestrel, on <see cref="WorkerOptions.PeerAddress"/>:<see cref="WorkerOptions.PeerPort"/>):
/// says which worker it is, serves chunks and whole blobs of what the cache holds to whoever shows a ticket the
/// coordinator signed for that blob, within the upload cap, and takes signed reports of other workers to relay.
/// Nothing runs when the volunteer turned serving off (<see cref="WorkerOptions.Serve"/>).
/// </summary>
public sealed class PeerServer(
    IOptions<WorkerOptions> options,
    WorkerIdentity identity,
    BlobCache cache,
    RelayInbox inbox,
    CoordinatorPublicKey coordinatorKey,
    CoordinatorLimits limits,
    UploadBudget budget,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IAsyncDisposable
{
    /// <summary>
    /// How long a request for a chunk this worker is still fetching is held before it is answered 404: well within the
    /// fetchers' stall timeout (10 s by default), so a held request never passes for a stalled holder.
    /// </summary>
    public static readonly TimeSpan ChunkWait = TimeSpan.FromSeconds(4);

    private readonly ILogger _logger = loggerFactory.CreateLogger<PeerServer>();
    private WebApplication? _app;

    /// <summary>The port the endpoint listens on; null before it started, or when it does not serve.</summary>
    public int? Port { get; private set; }

    /// <summary>Where the endpoint listens, e.g. http://127.0.0.1:40123/; null when it does not.</summary>
    public Uri? Endpoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Serve || _app is not null)
        {
            return;
        }
        var address = settings.PeerListenAddress();
        // An empty builder: the endpoint reads no configuration, environment or appsettings of its own.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        // The agent's host owns the process's lifetime (Ctrl+C, SIGTERM): the endpoint starts and stops with the agent.
        builder.Services.AddSingleton<IHostLifetime, OwnedByTheAgent>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, settings.PeerPort);
        });
        var app = builder.Build();
        app.MapGet(PeerRoutes.Hello, () => TypedResults.Json(new PeerHello(identity.WorkerId), ProtocolJson.Options));
        app.MapGet("peer/v1/blobs/{digest}/chunks/{index}", ServeChunkAsync);
        app.MapGet(PeerRoutes.Blob("{digest}"), ServeBlobAsync);
        app.MapPost(PeerRoutes.Relay, (Func<HttpContext, Task<IResult>>)TakeRelayAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
        Port = new Uri(app.Urls.Single()).Port;
        Endpoint = new Uri($"http://{new IPEndPoint(address, Port.Value)}/");
        Log.PeerEndpointListening(_logger, Endpoint, settings.UploadBytesPerSecond);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }

    private async Task<IResult> ServeChunkAsync(HttpContext http, string digest, string index)
    {
        if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var chunkIndex))
        {
            return BadRequest($"'{index}' is not a chunk index.");
        }
        if (Refusal(http, digest) is { } refusal)
        {
            return refusal;
        }
        if (await cache.ReadChunkAsync(digest, chunkIndex, ChunkWait, http.RequestAborted) is not { } chunk)
        {
            return NotHeld(digest);
        }
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = chunk.Length;
        await budget.WriteAsync(chunk, http.Response.Body, http.RequestAborted);
        return TypedResults.Empty;
    }

    private async Task<IResult> ServeBlobAsync(HttpContext http, string digest)
    {
        if (Refusal(http, digest) is { } refusal)
        {
            return refusal;
        }
        await using var blob = cache.OpenRead(digest);
        if (blob is null)
        {
            return NotHeld(digest);
        }
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = blob.Length;
        await budget.CopyAsync(blob, http.Response.Body, http.RequestAborted);
        return TypedResults.Empty;
    }

    /// <summary>Why a request for a blob is not served (null when it is): a malformed digest or ticket, or a ticket that does not hold.</summary>
    private IResult? Refusal(HttpContext http, string digest)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return BadRequest("The digest must be \"sha256:\" followed by 64 lowercase hex digits.");
        }
        if (!http.Request.Headers.TryGetValue(PeerRoutes.TicketHeader, out var header) || header.Count == 0)
        {
            return Forbidden($"A ticket from the coordinator for this blob is needed (header {PeerRoutes.TicketHeader}).");
        }
        if (header.Count > 1 || PeerTickets.Decode(header[0]!) is not { } ticket)
        {
            return BadRequest($"The {PeerRoutes.TicketHeader} header must hold one ticket: base64 of its JSON.");
        }
        if (coordinatorKey.Key is not { } key)
        {
            return NotReady();
        }
        return CoordinatorSignature.Verify(key, ticket, digest, time.GetUtcNow())
            ? null
            : Forbidden("The ticket is not signed by the project's coordinator, has expired, or is for another blob.");
    }

    private async Task<IResult> TakeRelayAsync(HttpContext http)
    {
        if (coordinatorKey.Key is not { } key)
        {
            return NotReady();
        }
        var maxBytes = inbox.MaxBundleBytes(limits.Current);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = maxBytes;
        }
        RelayBundle? bundle;
        try
        {
            bundle = await JsonSerializer.DeserializeAsync<RelayBundle>(http.Request.Body, ProtocolJson.Options, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return BadRequest($"The body is not a relay bundle: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem($"A relay bundle is at most {maxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        if (bundle is null)
        {
            return BadRequest("The body is not a relay bundle.");
        }
        var admission = inbox.Admit(bundle, key, time.GetUtcNow(), limits.Current);
        switch (admission)
        {
            case RelayAdmission.Stored:
                Log.RelayTaken(_logger, bundle.Pass.WorkerId, bundle.Reports.Count);
                return TypedResults.Accepted((string?)null);
            case RelayAdmission.Malformed { Detail: var detail }:
                return BadRequest(detail);
            case RelayAdmission.Refused { Detail: var detail }:
                Log.RelayRefused(_logger, bundle.Pass.WorkerId, detail);
                return Forbidden(detail);
            case RelayAdmission.Full { Detail: var detail }:
                return TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable);
            default:
                throw new InvalidOperationException($"Unknown relay admission {admission}.");
        }
    }

    private static ProblemHttpResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest);

    private static ProblemHttpResult Forbidden(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden);

    private static ProblemHttpResult NotHeld(string digest) => TypedResults.Problem($"This peer does not hold {digest}.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult NotReady() =>
        TypedResults.Problem("This peer has not learned the coordinator's key yet.", statusCode: StatusCodes.Status503ServiceUnavailable);

    /// <summary>A host lifetime that waits for no signal and handles none.</summary>
    private sealed class OwnedByTheAgent : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Volunteer.Protocol;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Agent;

/// <summary>What became of one sync.</summary>
public abstract record SyncOutcome
{
    private SyncOutcome()
    {
    }

    public sealed record Accepted(SyncResponse Response) : SyncOutcome;

    /// <summary>The coordinator refused these reports (and so the whole sync); nothing was applied.</summary>
    public sealed record ReportsRefused(IReadOnlyList<ReportRefusal> Refused) : SyncOutcome;

    /// <summary>
    /// The coordinator does not recognise this worker (401 or 403 that refuses no report): it was
    /// detached, or its token is not the project's. No sync can succeed until it attaches again.
    /// </summary>
    public sealed record NotAttached(HttpStatusCode Status, string Detail) : SyncOutcome;

    /// <summary>A client error that retrying will not fix (e.g. a request the coordinator finds malformed).</summary>
    public sealed record Rejected(HttpStatusCode Status, string Detail) : SyncOutcome;
}

/// <summary>
/// The agent's HTTP link to the project, in the name of one attached worker. Transient failures (no
/// connection, timeouts, 5xx, 429) are retried through Polly with jittered exponential back-off until
/// the agent stops; each attempt goes to the next coordinator in the list, so that a dead coordinator
/// is failed over. Every failed attempt and every answer is told to <see cref="CoordinatorReach"/>, so
/// that the agent notices an outage while the client retries.
/// </summary>
public sealed class CoordinatorClient
{
    /// <summary>Which coordinator (index in the list) the current attempt of a sync went to.</summary>
    private static readonly ResiliencePropertyKey<int> CoordinatorOfAttempt = new("volunteer.coordinator");

    /// <summary>What the request is, in the log's words ("Sync", "Chunk fetch"...).</summary>
    private static readonly ResiliencePropertyKey<string> RequestKind = new("volunteer.request");

    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _coordinators;
    private readonly string _token;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly CoordinatorReach _reach;
    private readonly TimeProvider _time;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger<CoordinatorClient> _logger;

    /// <summary>The coordinator that answered the last sync; the next sync tries it first.</summary>
    private int _answering;

    public CoordinatorClient(
        HttpClient http, WorkerIdentity identity, IOptions<WorkerOptions> options, CoordinatorReach reach, TimeProvider timeProvider, ILogger<CoordinatorClient> logger)
    {
        if (identity.Coordinators.Count == 0)
        {
            throw new ArgumentException("A worker identity names at least one coordinator.", nameof(identity));
        }
        _http = http;
        _coordinators = identity.Coordinators;
        _token = identity.Token;
        _reach = reach;
        _time = timeProvider;
        _logger = logger;
        var settings = options.Value;
        _requestTimeout = settings.RequestTimeout;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                MaxDelay = settings.MaxRetryDelay,
                // A coordinator shedding load says when to come back (spread over seconds, so a herd of agents does not
                // return at once): that wait replaces the backoff's.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.Headers.RetryAfter?.Delta),
                OnRetry = args =>
                {
                    _reach.Failed();
                    Log.RequestRetry(_logger, args.Context.Properties.GetValue(RequestKind, "Request"),
                        _coordinators[args.Context.Properties.GetValue(CoordinatorOfAttempt, _answering)],
                        args.AttemptNumber + 1, args.RetryDelay,
                        args.Outcome.Exception?.Message ?? $"HTTP {(int?)args.Outcome.Result?.StatusCode}");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(settings.RequestTimeout)
            .Build();
    }

    public static async Task<WorkerAttachResponse> AttachAsync(HttpClient http, Uri coordinator, WorkerAttachRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri(coordinator, Routes.Workers), request, ProtocolJson.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The coordinator refused to attach this worker (HTTP {(int)response.StatusCode}): {await DetailOfAsync(response, cancellationToken)}");
        }
        return (await response.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options, cancellationToken))!;
    }

    public async Task<SyncOutcome> SyncAsync(SyncRequest request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJson.Options);
        using var response = await SendAsync("Sync", coordinator => new HttpRequestMessage(HttpMethod.Post, new Uri(coordinator, Routes.WorkerSync))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        }, cancellationToken);
        return await OutcomeOfAsync(response, cancellationToken);
    }

    /// <summary>The coordinator's public key (SubjectPublicKeyInfo, base64), for an identity saved before attach told it.</summary>
    public async Task<string> GetCoordinatorKeyAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync("Key fetch", coordinator => new HttpRequestMessage(HttpMethod.Get, new Uri(coordinator, Routes.CoordinatorKey)), cancellationToken);
        await EnsureSuccessAsync(response, "the coordinator's key", cancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return document.RootElement.TryGetProperty("publicKey", out var key) && key.GetString() is { } publicKey
            ? publicKey
            : throw new InvalidDataException("The coordinator's key answer names no publicKey.");
    }

    /// <summary>The account as anyone may see it (its credit and its hosts' credit); what the owner's view shows as earned.</summary>
    public async Task<AccountView> GetAccountAsync(Guid accountId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("Account fetch", coordinator => new HttpRequestMessage(HttpMethod.Get, new Uri(coordinator, Routes.Account(accountId))), cancellationToken);
        await EnsureSuccessAsync(response, "the account", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<AccountView>(ProtocolJson.Options, cancellationToken))
            ?? throw new InvalidDataException("The coordinator's account answer is empty.");
    }

    /// <summary>
    /// Chunk <paramref name="index"/> of the blob <paramref name="ticket"/> is for, from the coordinator (what no peer
    /// could serve), retried like a sync. Throws HttpRequestException when the coordinator refuses it.
    /// </summary>
    public async Task<byte[]> ReadChunkAsync(BlobTicket ticket, int index, CancellationToken cancellationToken)
    {
        var header = PeerTickets.Encode(ticket);
        using var response = await SendAsync("Chunk fetch", coordinator =>
        {
            var message = new HttpRequestMessage(HttpMethod.Get, new Uri(coordinator, Routes.BlobChunk(ticket.Digest, index)));
            message.Headers.Add(PeerRoutes.TicketHeader, header);
            return message;
        }, cancellationToken);
        await EnsureSuccessAsync(response, $"chunk {index} of blob {ticket.Digest}", cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>
    /// Uploads a result blob the coordinator asked for (<see cref="PeerDirections.Uploads"/>), streamed from
    /// <paramref name="open"/> within the upload cap: one attempt per coordinator, each given up when nothing moved for
    /// the request timeout. False when none took it; the coordinator asks again in a later answer if it still wants it.
    /// </summary>
    public async Task<bool> UploadBlobAsync(string digest, Func<Stream> open, UploadBudget budget, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _coordinators.Count; i++)
        {
            var coordinator = _coordinators[(_answering + i) % _coordinators.Count];
            using var content = open();
            using var watch = new StallWatch(_requestTimeout, _time, cancellationToken);
            using var message = new HttpRequestMessage(HttpMethod.Put, new Uri(coordinator, Routes.WorkerBlob(digest)))
            {
                Content = new BudgetedContent(content, budget, watch),
            };
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            try
            {
                using var response = await _http.SendAsync(message, watch.Token);
                if ((int)response.StatusCode >= 500)
                {
                    _reach.Failed();
                    Log.UploadFailed(_logger, digest, coordinator, $"HTTP {(int)response.StatusCode}");
                    continue;
                }
                _reach.Reached();
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
                // Every coordinator would say the same: the project does not want this blob from this worker (now).
                Log.UploadRefused(_logger, digest, (int)response.StatusCode, await DetailOfAsync(response, cancellationToken));
                return false;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _reach.Failed();
                Log.UploadFailed(_logger, digest, coordinator, watch.Stalled ? "stalled" : ex.Message);
            }
        }
        return false;
    }

    /// <summary>
    /// Sends the request <paramref name="build"/> makes for a coordinator through the resilience pipeline: retried,
    /// failed over, each attempt timed out. Returns the first answer that is not transient.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string kind, Func<Uri, HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKind, kind);
        try
        {
            var attempt = 0;
            var response = await _pipeline.ExecuteAsync(async attemptContext =>
            {
                // Fail-over: attempt n goes to the n-th coordinator after the one that answered last.
                var coordinator = (_answering + attempt++) % _coordinators.Count;
                attemptContext.Properties.Set(CoordinatorOfAttempt, coordinator);
                using var message = build(_coordinators[coordinator]);
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                return await _http.SendAsync(message, attemptContext.CancellationToken);
            }, context);
            _answering = context.Properties.GetValue(CoordinatorOfAttempt, _answering);
            _reach.Reached();
            return response;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"The coordinator refused {what} (HTTP {(int)response.StatusCode}): {await DetailOfAsync(response, cancellationToken)}", null, response.StatusCode);
        }
    }

    private static async Task<SyncOutcome> OutcomeOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return new SyncOutcome.Accepted((await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options, cancellationToken))!);
        }
        var problem = await response.Content.ReadAsStringAsync(cancellationToken);
        if (RefusalsIn(problem) is { Count: > 0 } refused)
        {
            return new SyncOutcome.ReportsRefused(refused);
        }
        return response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? new SyncOutcome.NotAttached(response.StatusCode, DetailOf(problem))
            : new SyncOutcome.Rejected(response.StatusCode, DetailOf(problem));
    }

    private static List<ReportRefusal>? RefusalsIn(string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("refused", out var refused)
                ? refused.Deserialize<List<ReportRefusal>>(ProtocolJson.Options)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<string> DetailOfAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        DetailOf(await response.Content.ReadAsStringAsync(cancellationToken));

    private static string DetailOf(string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? problem : problem;
        }
        catch (JsonException)
        {
            return problem;
        }
    }

    /// <summary>A blob streamed to the coordinator within the upload cap, each piece a sign of progress to the stall watch.</summary>
    private sealed class BudgetedContent(Stream source, UploadBudget budget, StallWatch watch) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            budget.CopyAsync(source, stream, cancellationToken, watch.Progress);

        protected override bool TryComputeLength(out long length)
        {
            length = source.Length;
            return true;
        }
    }
}

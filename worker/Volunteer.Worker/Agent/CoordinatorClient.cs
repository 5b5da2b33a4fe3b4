using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Volunteer.Protocol;
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
/// is failed over.
/// </summary>
public sealed class CoordinatorClient
{
    /// <summary>Which coordinator (index in the list) the current attempt of a sync went to.</summary>
    private static readonly ResiliencePropertyKey<int> CoordinatorOfAttempt = new("volunteer.coordinator");

    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _coordinators;
    private readonly string _token;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger<CoordinatorClient> _logger;

    /// <summary>The coordinator that answered the last sync; the next sync tries it first.</summary>
    private int _answering;

    public CoordinatorClient(HttpClient http, WorkerIdentity identity, IOptions<WorkerOptions> options, TimeProvider timeProvider, ILogger<CoordinatorClient> logger)
    {
        if (identity.Coordinators.Count == 0)
        {
            throw new ArgumentException("A worker identity names at least one coordinator.", nameof(identity));
        }
        _http = http;
        _coordinators = identity.Coordinators;
        _token = identity.Token;
        _logger = logger;
        var settings = options.Value;
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
                OnRetry = args =>
                {
                    Log.SyncRetry(_logger, _coordinators[args.Context.Properties.GetValue(CoordinatorOfAttempt, _answering)],
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
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var attempt = 0;
            using var response = await _pipeline.ExecuteAsync(async attemptContext =>
            {
                // Fail-over: attempt n goes to the n-th coordinator after the one that answered last.
                var coordinator = (_answering + attempt++) % _coordinators.Count;
                attemptContext.Properties.Set(CoordinatorOfAttempt, coordinator);
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_coordinators[coordinator], Routes.WorkerSync))
                {
                    Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                };
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                return await _http.SendAsync(message, attemptContext.CancellationToken);
            }, context);
            _answering = context.Properties.GetValue(CoordinatorOfAttempt, _answering);
            return await OutcomeOfAsync(response, cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
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
}

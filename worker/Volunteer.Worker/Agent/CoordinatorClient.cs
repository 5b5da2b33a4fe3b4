using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Volunteer.Protocol;

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

    /// <summary>A client error that retrying will not fix (e.g. an unknown token).</summary>
    public sealed record Rejected(HttpStatusCode Status, string Detail) : SyncOutcome;
}

/// <summary>
/// The agent's HTTP link to the project. Transient failures (no connection, timeouts, 5xx, 429) are
/// retried through Polly with jittered exponential back-off, rotating through the coordinator URLs
/// so that a dead coordinator is failed over; retries go on until the agent stops.
/// </summary>
public sealed class CoordinatorClient
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger<CoordinatorClient> _logger;
    private IReadOnlyList<Uri> _coordinators = [];
    private int _current;

    public CoordinatorClient(HttpClient http, IOptions<WorkerOptions> options, ILogger<CoordinatorClient> logger)
    {
        _http = http;
        _logger = logger;
        var settings = options.Value;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
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
                    var failed = _coordinators.Count == 0 ? null : _coordinators[_current % _coordinators.Count];
                    // Fail over: the next attempt goes to the next coordinator in the list.
                    Interlocked.Increment(ref _current);
                    Log.SyncRetry(_logger, failed, args.AttemptNumber + 1, args.RetryDelay,
                        args.Outcome.Exception?.Message ?? $"HTTP {(int?)args.Outcome.Result?.StatusCode}");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(settings.RequestTimeout)
            .Build();
    }

    public void UseCoordinators(IReadOnlyList<Uri> coordinators) => _coordinators = coordinators;

    public static async Task<WorkerAttachResponse> AttachAsync(HttpClient http, Uri coordinator, WorkerAttachRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri(coordinator, "api/v1/workers"), request, ProtocolJson.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The coordinator refused to attach this worker (HTTP {(int)response.StatusCode}): {await DetailOfAsync(response, cancellationToken)}");
        }
        return (await response.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options, cancellationToken))!;
    }

    public async Task<SyncOutcome> SyncAsync(string token, SyncRequest request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJson.Options);
        using var response = await _pipeline.ExecuteAsync(async ct =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_coordinators[_current % _coordinators.Count], "api/v1/workers/sync"))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await _http.SendAsync(message, ct);
        }, cancellationToken);

        if (response.IsSuccessStatusCode)
        {
            return new SyncOutcome.Accepted((await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options, cancellationToken))!);
        }
        var problem = await response.Content.ReadAsStringAsync(cancellationToken);
        if (RefusalsIn(problem) is { Count: > 0 } refused)
        {
            return new SyncOutcome.ReportsRefused(refused);
        }
        return new SyncOutcome.Rejected(response.StatusCode, DetailOf(problem));
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

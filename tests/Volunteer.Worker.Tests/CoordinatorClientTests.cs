using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Agent;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

public sealed class CoordinatorClientTests
{
    private static readonly Uri First = new("http://127.0.0.1:1/");
    private static readonly Uri Second = new("http://127.0.0.2:1/");

    [Fact]
    public async Task Transient_failures_are_retried_rotating_through_the_coordinators()
    {
        var handler = new ScriptedHandler(
            _ => throw new HttpRequestException("connection refused"),
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            _ => Json(HttpStatusCode.OK, """{"accepted":0,"assignments":[],"cancelled":[],"limits":{"maxReportsPerSync":512,"maxUnitsPerSync":64,"maxInProgress":4096,"inlinePayloadLimit":65536,"maxErrorLength":4096}}"""));
        var client = Client(handler);

        var outcome = await client.SyncAsync("token", new SyncRequest(RequestUnits: 1), CancellationToken.None);

        Assert.IsType<SyncOutcome.Accepted>(outcome);
        Assert.Equal([First, Second, First], handler.Requests.Select(r => new Uri(r.RequestUri!.GetLeftPart(UriPartial.Authority) + "/")));
        Assert.All(handler.Requests, r => Assert.Equal("Bearer token", r.Headers.Authorization!.ToString()));
    }

    [Fact]
    public async Task Refused_reports_are_read_from_the_problem_details()
    {
        var jobId = Guid.NewGuid();
        var handler = new ScriptedHandler(_ => Json(HttpStatusCode.Conflict, $$"""
            {"status":409,"detail":"1 report(s) refused","refused":[{"replica":{"jobId":"{{jobId}}","unitIndex":2,"replica":1},"code":"AlreadyReported","reason":"This replica has already been reported."}]}
            """));

        var outcome = await Client(handler).SyncAsync("token", new SyncRequest(), CancellationToken.None);

        var refused = Assert.IsType<SyncOutcome.ReportsRefused>(outcome);
        Assert.Equal(new ReportRefusal(new ReplicaRef(jobId, 2, 1), "AlreadyReported", "This replica has already been reported."), Assert.Single(refused.Refused));
    }

    [Fact]
    public async Task Other_client_errors_are_not_retried()
    {
        var handler = new ScriptedHandler(_ => Json(HttpStatusCode.Unauthorized, """{"status":401,"detail":"The worker token is not recognised."}"""));

        var outcome = await Client(handler).SyncAsync("token", new SyncRequest(), CancellationToken.None);

        Assert.Equal(new SyncOutcome.Rejected(HttpStatusCode.Unauthorized, "The worker token is not recognised."), outcome);
        Assert.Single(handler.Requests);
    }

    private static CoordinatorClient Client(ScriptedHandler handler)
    {
        var options = Options.Create(new WorkerOptions { RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(20) });
        var client = new CoordinatorClient(new HttpClient(handler), options, NullLogger<CoordinatorClient>.Instance);
        client.UseCoordinators([First, Second]);
        return client;
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    /// <summary>Answers each request with the next scripted step (the last step repeats).</summary>
    private sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] steps) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(steps[Math.Min(Requests.Count, steps.Length) - 1](request));
        }
    }
}

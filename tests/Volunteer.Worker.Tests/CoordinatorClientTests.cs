using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Worker.Agent;
using Volunteer.Protocol;
using static Volunteer.Worker.Tests.AttachedWorker;

namespace Volunteer.Worker.Tests;

public sealed class CoordinatorClientTests
{
    private static readonly ScriptedHandler.Step Accepted = ScriptedHandler.AcceptWith(SyncLimits.Default);

    [Fact]
    public async Task Transient_failures_are_retried_rotating_through_the_coordinators()
    {
        var handler = new ScriptedHandler(ScriptedHandler.Unreachable, ScriptedHandler.Answer(HttpStatusCode.ServiceUnavailable, "{}"), Accepted);
        var client = Client(handler);

        var outcome = await client.SyncAsync(new SyncRequest(RequestUnits: 1), CancellationToken.None);

        var response = Assert.IsType<SyncOutcome.Accepted>(outcome).Response;
        Assert.Equal((0, SyncLimits.Default), (response.Accepted, response.Limits));
        Assert.Equal([First, Second, First], CoordinatorsOf(handler));
        Assert.All(handler.Requests, r => Assert.Equal("Bearer token", r.Headers.Authorization!.ToString()));
    }

    [Fact]
    public async Task A_coordinator_shedding_load_is_retried_after_its_Retry_After_not_the_backoff()
    {
        var shed = ScriptedHandler.Answer(HttpStatusCode.ServiceUnavailable, "{}");
        var handler = new ScriptedHandler(
            async (request, cancellationToken) =>
            {
                var answer = await shed(request, cancellationToken);
                answer.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(30));
                return answer;
            },
            Accepted);
        var time = new FakeTimeProvider();
        var client = Client(handler, time: time);

        var syncing = client.SyncAsync(new SyncRequest(), CancellationToken.None);
        await WaitForRequestsAsync(handler, 1);
        // The backoff (10 ms here) has long passed; the 30 s the coordinator asked for have not.
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(200);
        Assert.Single(handler.Requests);
        Assert.False(syncing.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<SyncOutcome.Accepted>(await syncing.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, handler.Requests.Count);
    }

    private static async Task WaitForRequestsAsync(ScriptedHandler handler, int count)
    {
        for (var waited = 0; handler.Requests.Count < count; waited++)
        {
            Assert.True(waited < 3000, $"{count} request(s) expected, {handler.Requests.Count} came");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task The_next_sync_starts_at_the_coordinator_that_answered_the_last()
    {
        var handler = new ScriptedHandler(ScriptedHandler.Unreachable, Accepted);
        var client = Client(handler);

        await client.SyncAsync(new SyncRequest(), CancellationToken.None);
        await client.SyncAsync(new SyncRequest(), CancellationToken.None);

        Assert.Equal([First, Second, Second], CoordinatorsOf(handler));
    }

    [Fact]
    public async Task An_attempt_that_outlasts_the_request_timeout_fails_over_to_the_next_coordinator()
    {
        var handler = new ScriptedHandler(ScriptedHandler.Silent, Accepted);

        var outcome = await Client(handler, TimeSpan.FromMilliseconds(50)).SyncAsync(new SyncRequest(), CancellationToken.None);

        Assert.IsType<SyncOutcome.Accepted>(outcome);
        Assert.Equal([First, Second], CoordinatorsOf(handler));
    }

    [Fact]
    public async Task Syncs_go_to_the_protocols_sync_route()
    {
        var handler = new ScriptedHandler(Accepted);

        await Client(handler).SyncAsync(new SyncRequest(), CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        Assert.Equal((HttpMethod.Post, new Uri(First, Routes.WorkerSync)), (request.Method, request.RequestUri));
        Assert.Equal("http://127.0.0.1:1/api/v1/workers/sync", request.RequestUri!.ToString());
    }

    [Theory]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task Refused_reports_are_read_from_the_problem_details(HttpStatusCode status)
    {
        var jobId = Guid.NewGuid();
        var handler = new ScriptedHandler(ScriptedHandler.Answer(status, $$"""
            {"status":{{(int)status}},"detail":"1 report(s) refused","refused":[{"replica":{"jobId":"{{jobId}}","unitIndex":2,"replica":1},"code":"AlreadyReported","reason":"This replica has already been reported."}]}
            """));

        var outcome = await Client(handler).SyncAsync(new SyncRequest(), CancellationToken.None);

        var refused = Assert.IsType<SyncOutcome.ReportsRefused>(outcome);
        Assert.Equal(new ReportRefusal(new ReplicaRef(jobId, 2, 1), "AlreadyReported", "This replica has already been reported."), Assert.Single(refused.Refused));
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "The worker token is not recognised.")]
    [InlineData(HttpStatusCode.Forbidden, "This worker was detached.")]
    public async Task A_sync_refused_as_unauthenticated_or_forbidden_without_refused_reports_says_the_worker_is_not_attached(HttpStatusCode status, string detail)
    {
        var handler = new ScriptedHandler(ScriptedHandler.Answer(status, $$"""{"status":{{(int)status}},"detail":"{{detail}}"}"""));

        var outcome = await Client(handler).SyncAsync(new SyncRequest(), CancellationToken.None);

        Assert.Equal(new SyncOutcome.NotAttached(status, detail), outcome);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Other_client_errors_are_not_retried()
    {
        var handler = new ScriptedHandler(ScriptedHandler.Answer(HttpStatusCode.BadRequest, """{"status":400,"detail":"At most 512 reports fit in one sync."}"""));

        var outcome = await Client(handler).SyncAsync(new SyncRequest(), CancellationToken.None);

        Assert.Equal(new SyncOutcome.Rejected(HttpStatusCode.BadRequest, "At most 512 reports fit in one sync."), outcome);
        Assert.Single(handler.Requests);
    }

    private static CoordinatorClient Client(ScriptedHandler handler, TimeSpan? requestTimeout = null, TimeProvider? time = null)
    {
        var options = Options.Create(new WorkerOptions
        {
            RetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
        });
        time ??= TimeProvider.System;
        return new CoordinatorClient(new HttpClient(handler), Identity(), options, new CoordinatorReach(time), time, NullLogger<CoordinatorClient>.Instance);
    }

    private static List<Uri> CoordinatorsOf(ScriptedHandler handler) =>
        [.. handler.Requests.Select(r => new Uri(r.RequestUri!.GetLeftPart(UriPartial.Authority) + "/"))];
}

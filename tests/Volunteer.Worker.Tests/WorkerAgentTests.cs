using System.Net;
using System.Text.Json;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests;

public sealed class WorkerAgentTests : IDisposable
{
    private static readonly Guid JobA = Guid.Parse("11111111-0000-0000-0000-000000000000");
    private static readonly Guid JobB = Guid.Parse("22222222-0000-0000-0000-000000000000");
    private static readonly ReplicaRef A0 = new(JobA, 0, 0);
    private static readonly ReplicaRef A1 = new(JobA, 1, 0);
    private static readonly ReplicaRef A2 = new(JobA, 2, 0);
    private static readonly ReplicaRef B0 = new(JobB, 0, 0);

    private readonly TempDirectory _state = new();

    [Fact]
    public async Task Reports_go_up_one_job_at_a_time_in_batches_of_the_coordinators_limit_and_are_signed()
    {
        HoldReports(A0, A1, A2, B0);
        var limits = SyncLimits.Default with { MaxReportsPerSync = 2 };
        var identity = AttachedWorker.Identity(limits);
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(limits));
        await using var agent = new AgentUnderTest(Options(slots: 1), identity, coordinator);

        await agent.StartAsync();
        var syncs = await coordinator.SyncsAsync(4);

        Assert.Equal([[A0, A1], [A2], [B0], []], syncs.Select(s => s.Reports!.Select(r => r.Ref)));
        Assert.Equal([[A2, B0], [B0], [], []], syncs.Select(s => s.InProgress!));
        using var key = identity.LoadKey();
        Assert.All(syncs.Where(s => s.Reports!.Count > 0), s => Assert.True(ReportSignature.Verify(key, identity.WorkerId, s.Reports!, s.Signature)));
        Assert.Null(syncs[3].Signature);
        Assert.Empty(agent.Folder.PendingReports());
    }

    [Fact]
    public async Task The_agent_asks_for_no_more_units_than_the_coordinator_allows_and_follows_the_limits_of_each_answer()
    {
        var atAttach = SyncLimits.Default with { MaxUnitsPerSync = 3 };
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default with { MaxUnitsPerSync = 1 }));
        await using var agent = new AgentUnderTest(Options(slots: 8), AttachedWorker.Identity(atAttach), coordinator);

        await agent.StartAsync();
        var syncs = await coordinator.SyncsAsync(2);

        Assert.Equal([3, 1], syncs.Select(s => s.RequestUnits));
    }

    [Fact]
    public async Task A_worker_holding_more_than_the_coordinator_takes_in_one_list_sends_none_rather_than_a_cut_list()
    {
        HoldReports(A0, A1, A2, B0);
        var limits = SyncLimits.Default with { MaxReportsPerSync = 1, MaxInProgress = 2 };
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(limits));
        await using var agent = new AgentUnderTest(Options(slots: 1), AttachedWorker.Identity(limits), coordinator);

        await agent.StartAsync();
        var syncs = await coordinator.SyncsAsync(2);

        Assert.Equal([[A0], [A1]], syncs.Select(s => s.Reports!.Select(r => r.Ref)));
        Assert.Null(syncs[0].InProgress);
        Assert.Equal([A2, B0], syncs[1].InProgress!);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "The worker token is not recognised.")]
    [InlineData(HttpStatusCode.Forbidden, "This worker was detached.")]
    public async Task A_sync_refused_as_unauthenticated_or_forbidden_stops_the_agent_as_detached(HttpStatusCode status, string detail)
    {
        HoldReports(A0);
        var coordinator = new ScriptedHandler(ScriptedHandler.Answer(status, $$"""{"status":{{(int)status}},"detail":"{{detail}}"}"""));
        await using var agent = new AgentUnderTest(Options(slots: 1), AttachedWorker.Identity(), coordinator);

        await agent.StartAsync();
        await agent.EndedAsync();

        Assert.True(agent.Agent.Detached);
        Assert.True(agent.Lifetime.StopRequested);
        Assert.Single(coordinator.Requests);
        // What the coordinator did not take stays for whoever attaches this state again.
        Assert.Equal([A0], agent.Folder.PendingReports().Select(r => r.Ref));
        Assert.Equal(new SyncSummary(AgentUnderTest.StartTime, $"this worker is not recognised (HTTP {(int)status}): {detail}"),
            WorkerStatus.Load(_state.Path)!.LastSync);
    }

    [Fact]
    public async Task A_forbidden_sync_that_refuses_reports_drops_them_and_the_agent_goes_on()
    {
        HoldReports(A0);
        var coordinator = new ScriptedHandler(
            ScriptedHandler.Answer(HttpStatusCode.Forbidden, $$"""
                {"status":403,"detail":"1 report(s) refused","refused":[{"replica":{"jobId":"{{JobA}}","unitIndex":0,"replica":0},"code":"NotLeasedToWorker","reason":"This replica is not leased to this worker."}]}
                """),
            ScriptedHandler.AcceptWith(SyncLimits.Default));
        await using var agent = new AgentUnderTest(Options(slots: 1), AttachedWorker.Identity(), coordinator);

        await agent.StartAsync();
        var syncs = await coordinator.SyncsAsync(2);

        Assert.Equal([[A0], []], syncs.Select(s => s.Reports!.Select(r => r.Ref)));
        Assert.False(agent.Agent.Detached);
        Assert.False(agent.Lifetime.StopRequested);
        Assert.Empty(agent.Folder.PendingReports());
    }

    [Fact]
    public async Task The_status_file_shows_each_running_units_progress_the_pending_reports_and_the_last_sync()
    {
        var started = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var finish = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var apps = new ScienceAppCatalog([new TestApp(async (input, context, cancellationToken) =>
        {
            context.ReportProgress(input.Index == 0 ? 0.25 : 0.5);
            started[input.Index].SetResult();
            await finish[input.Index].Task.WaitAsync(cancellationToken);
            return [42];
        })]);
        var coordinator = new ScriptedHandler(
            ScriptedHandler.Accept(new SyncResponse(0, [Lease(unit: 0)], [], SyncLimits.Default)),
            ScriptedHandler.Accept(new SyncResponse(1, [Lease(unit: 1)], [], SyncLimits.Default)));
        var options = Options(slots: 2, idleSyncInterval: TimeSpan.FromHours(1));
        await using var agent = new AgentUnderTest(options, AttachedWorker.Identity(), coordinator, apps);

        await agent.StartAsync();
        await started[0].Task.WaitAsync(TimeSpan.FromSeconds(30));
        var computing = await StatusWrittenAfterAsync(agent, options.StatusInterval);

        Assert.Equal([new UnitProgress(JobA, 0, 0, TestApp.AppName, 0.25) { FirstProgress = 0.25 }], computing.Running);
        Assert.Equal((2, 0), (computing.Slots, computing.PendingReports));
        Assert.Equal(new SyncSummary(AgentUnderTest.StartTime, "accepted: 0 report(s) acknowledged, 1 unit(s) leased, 0 cancelled"), computing.LastSync);

        finish[0].SetResult();
        await started[1].Task.WaitAsync(TimeSpan.FromSeconds(30));
        var next = await StatusWrittenAfterAsync(agent, options.StatusInterval);

        Assert.Equal([new UnitProgress(JobA, 1, 0, TestApp.AppName, 0.5) { FirstProgress = 0.5 }], next.Running);
        Assert.Equal(0, next.PendingReports);
        Assert.Equal(new SyncSummary(AgentUnderTest.StartTime + options.StatusInterval, "accepted: 1 report(s) acknowledged, 1 unit(s) leased, 0 cancelled"),
            next.LastSync);
        Assert.Equal(ContentDigest.Of([42]), Assert.Single((await coordinator.SyncsAsync(2))[1].Reports!).Digest);
    }

    public void Dispose() => _state.Dispose();

    private WorkerOptions Options(int slots, TimeSpan? idleSyncInterval = null) => new()
    {
        StateDirectory = _state.Path,
        Slots = slots,
        IdleSyncInterval = idleSyncInterval ?? TimeSpan.FromMilliseconds(10),
        StatusInterval = TimeSpan.FromSeconds(5),
        PeerAddress = "127.0.0.1",
    };

    /// <summary>Leaves these replicas' reports in the outbox, as a previous run of the agent would have.</summary>
    private void HoldReports(params ReplicaRef[] replicas)
    {
        var folder = new WorkFolder(_state.Path);
        foreach (var replica in replicas)
        {
            folder.Finish(new ReplicaReport(replica.JobId, replica.UnitIndex, replica.Replica, ReportOutcome.Error, Error: "test"));
        }
    }

    private static Assignment Lease(long unit) =>
        new(JobA, unit, 0, TestApp.AppName, JsonDocument.Parse("{}").RootElement.Clone(), DateTimeOffset.MaxValue);

    /// <summary>Moves the clock on by one status interval and reads the status the agent writes then.</summary>
    private async Task<WorkerStatus> StatusWrittenAfterAsync(AgentUnderTest agent, TimeSpan interval)
    {
        agent.Time.Advance(interval);
        var writtenAt = agent.Time.GetUtcNow();
        return await Eventually.WaitAsync(
            $"the status written at {writtenAt:u}",
            () => Task.FromResult(WorkerStatus.Load(_state.Path) is { } status && status.WrittenAt == writtenAt ? status : null),
            diagnostics: () => "",
            timeout: TimeSpan.FromSeconds(30),
            interval: TimeSpan.FromMilliseconds(5));
    }
}

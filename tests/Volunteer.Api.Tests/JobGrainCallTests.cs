using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Which job grains a request calls. One sync calls each job's grain at most once: the reports' job
/// first, then the running jobs in dispatch order until the worker has what it asked for. Listing jobs
/// asks only the running jobs' grains. The limits the coordinator enforces come back with every answer.
/// </summary>
public sealed class JobGrainCallTests(JobGrainCallCountingFactory factory) : JobScenario<JobGrainCallCountingFactory>(factory), IClassFixture<JobGrainCallCountingFactory>
{
    [Fact]
    public async Task A_sync_calls_each_jobs_grain_once_even_when_it_reports_holds_and_leases_across_three_jobs()
    {
        // Dispatch order: first (priority 9, one unit of quorum 1), second (priority 5), held (priority 0).
        var worker = await Factory.SharedWorkerAsync("three-jobs");
        var held = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var heldLease = await LeaseFromAsync(worker, held.Id);
        var second = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 300, 100, ""","priority":5"""));
        var first = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100,
            ""","priority":9,"redundancy":{"targetResults":1,"minQuorum":1,"maxTotalResults":1}"""));
        var firstLease = await LeaseFromAsync(worker, first.Id);

        // Reports to `first` (which then has no work left), holds a replica of `held`, asks for three:
        // the leases must come from `second`, the next in line.
        var calls = Factory.Calls.Snapshot(nameof(IJobGrain.SyncAsync));
        var response = await worker.SyncAsync(new SyncRequest([await worker.ComputeAsync(firstLease)], [heldLease.Ref], RequestUnits: 3));
        var made = Factory.Calls.Since(nameof(IJobGrain.SyncAsync), calls);

        Assert.Equal(1, response.Accepted);
        Assert.Empty(response.Cancelled);
        Assert.Equal([second.Id, second.Id, second.Id], response.Assignments.Select(a => a.JobId));
        Assert.Equal(new Dictionary<Guid, int> { [first.Id] = 1, [second.Id] = 1, [held.Id] = 1 }, made);
    }

    [Fact]
    public async Task Reports_to_a_job_that_is_not_first_in_line_are_accepted_and_the_first_in_line_leases()
    {
        var later = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var worker = await Factory.SharedWorkerAsync("not-first");
        var lease = await LeaseFromAsync(worker, later.Id);
        var urgent = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100, ""","priority":7"""));

        var calls = Factory.Calls.Snapshot(nameof(IJobGrain.SyncAsync));
        var response = await worker.SyncAsync(new SyncRequest([await worker.ComputeAsync(lease)], RequestUnits: 1));
        var made = Factory.Calls.Since(nameof(IJobGrain.SyncAsync), calls);

        Assert.Equal(1, response.Accepted);
        Assert.Equal(urgent.Id, Assert.Single(response.Assignments).JobId);
        Assert.Equal(new Dictionary<Guid, int> { [later.Id] = 1, [urgent.Id] = 1 }, made);
    }

    [Fact]
    public async Task A_sync_that_asks_for_nothing_and_holds_nothing_calls_no_job()
    {
        await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var worker = await Factory.SharedWorkerAsync("idle");

        var calls = Factory.Calls.Snapshot(nameof(IJobGrain.SyncAsync));
        var response = await worker.SyncAsync(new SyncRequest());

        Assert.Empty(response.Assignments);
        Assert.Empty(Factory.Calls.Since(nameof(IJobGrain.SyncAsync), calls));
    }

    [Fact]
    public async Task Listing_jobs_asks_only_the_running_jobs_grains()
    {
        var running = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var cancelled = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        await Api.CancelAsync(Jobs, cancelled.Id);

        var calls = Factory.Calls.Snapshot(nameof(IJobGrain.GetStatusAsync));
        var listed = await Api.ListJobsAsync(Jobs);
        var made = Factory.Calls.Since(nameof(IJobGrain.GetStatusAsync), calls);

        Assert.Equal(JobState.Cancelled, listed.Single(j => j.Id == cancelled.Id).State);
        Assert.Equal(new UnitCounts(2, 0, 0, 0, 0), listed.Single(j => j.Id == cancelled.Id).Units);
        Assert.Equal(JobState.Running, listed.Single(j => j.Id == running.Id).State);
        Assert.Equal(listed.Where(j => j.State == JobState.Running).Select(j => j.Id).ToHashSet(), made.Keys.ToHashSet());
        Assert.All(made.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Replicas_held_of_unknown_or_ended_jobs_are_dropped_without_waking_their_grains()
    {
        var ended = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var worker = await Factory.SharedWorkerAsync("stale-holder");
        var held = await LeaseFromAsync(worker, ended.Id);
        await Api.CancelAsync(Jobs, ended.Id);
        var unknown = Enumerable.Range(0, 500).Select(i => new ReplicaRef(Guid.NewGuid(), i, 0)).ToList();

        var calls = Factory.Calls.Snapshot(nameof(IJobGrain.SyncAsync));
        var response = await worker.SyncAsync(new SyncRequest(InProgress: [held.Ref, .. unknown]));

        Assert.Equal([held.Ref, .. unknown], response.Cancelled.OrderBy(r => r.JobId == ended.Id ? 0 : 1).ThenBy(r => r.UnitIndex));
        Assert.Empty(Factory.Calls.Since(nameof(IJobGrain.SyncAsync), calls));
    }

    [Fact]
    public async Task Every_answer_tells_the_worker_the_coordinators_limits()
    {
        var expected = new SyncLimits(
            MaxReportsPerSync: 7, MaxUnitsPerSync: 5, MaxInProgress: SyncLimits.Default.MaxInProgress, InlinePayloadLimit: 999,
            MaxErrorLength: SyncLimits.Default.MaxErrorLength);
        using var client = Factory.CreateClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attach = await client.PostAsJsonAsync(Api.WorkersPath,
            new WorkerAttachRequest("limits", Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), 1), ProtocolJson.Options);
        await Api.AssertStatusAsync(attach, HttpStatusCode.Created);
        var attached = (await attach.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options))!;
        var worker = await Factory.SharedWorkerAsync("limits");

        Assert.Equal(expected, attached.Limits);
        Assert.Equal(expected, (await worker.SyncAsync(new SyncRequest())).Limits);
    }

    private static async Task<Assignment> LeaseFromAsync(SimulatedWorker worker, Guid jobId)
    {
        var lease = Assert.Single(await worker.LeaseAsync(1));
        Assert.Equal(jobId, lease.JobId);
        return lease;
    }
}

/// <summary>The coordinator with configured sync limits and a count of the calls each job's grain receives.</summary>
public sealed class JobGrainCallCountingFactory : CoordinatorFactory
{
    public JobGrainCallCountingFactory()
        : base(new Dictionary<string, string>
        {
            ["Volunteer:MaxReportsPerSync"] = "7",
            ["Volunteer:MaxUnitsPerSync"] = "5",
            ["Volunteer:InlinePayloadLimit"] = "999",
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
        })
    {
    }

    public JobGrainCalls Calls { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IIncomingGrainCallFilter>(Calls));
    }
}

/// <summary>Counts the calls of each <see cref="IJobGrain"/> method per job, as the grains receive them.</summary>
public sealed class JobGrainCalls : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<(string Method, Guid Job), int> _calls = new();

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod.DeclaringType == typeof(IJobGrain))
        {
            _calls.AddOrUpdate((context.InterfaceMethod.Name, context.TargetId.GetGuidKey()), 1, (_, count) => count + 1);
        }
        await context.Invoke();
    }

    /// <summary>The calls of <paramref name="method"/> so far, per job.</summary>
    public IReadOnlyDictionary<Guid, int> Snapshot(string method) =>
        _calls.Where(c => c.Key.Method == method).ToDictionary(c => c.Key.Job, c => c.Value);

    /// <summary>The calls of <paramref name="method"/> made since <paramref name="before"/>, per job.</summary>
    public Dictionary<Guid, int> Since(string method, IReadOnlyDictionary<Guid, int> before) =>
        Snapshot(method).Select(c => (c.Key, Count: c.Value - before.GetValueOrDefault(c.Key)))
            .Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count);
}

using System.Text.Json;
using Orleans.Concurrency;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Hosting;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.WorkUnits.Apps;
using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// Owns one job's hot state. Reentrant so that many workers' calls share group commits: each call
/// changes the in-memory workbook synchronously, takes the changes and awaits their commit before
/// answering. Should a commit fail, the grain deactivates and reloads from the store, which is the
/// source of truth.
/// </summary>
[Reentrant]
public sealed class JobGrain(
    IWorkStore store,
    ScienceAppCatalog apps,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    RunningJobs runningJobs,
    CoordinatorMetrics metrics,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private JobRecord? _job;
    private JobWorkbook? _workbook;

    private Guid JobId => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _job = await store.FindJobAsync(JobId, cancellationToken);
        if (_job?.State == JobState.Running)
        {
            await OpenWorkbookAsync(_job, cancellationToken);
        }
    }

    public async Task<JobView> SubmitAsync(JobSpec spec)
    {
        if (_job is not null)
        {
            return View(_job);
        }
        var job = new JobRecord(JobId, spec.App, spec.Parameters, spec.Redundancy, spec.DeadlineSeconds, spec.Priority,
            spec.UnitCount, 0, 0, 0, JobState.Running, spec.Seed, null, time.GetUtcNow(), null);
        var batch = new WorkBatch();
        batch.Jobs.Add(job);
        await store.CommitAsync(batch);
        _job = job;
        await OpenWorkbookAsync(job, CancellationToken.None);
        await GrainFactory.GetGrain<IJobCatalogGrain>(0).JobStartedAsync(new RunningJob(job.Id, job.Priority, job.CreatedAt));
        runningJobs.Invalidate();
        Log.JobSubmitted(logger, job.Id, job.App, job.UnitCount);
        return View(job);
    }

    public Task<JobView?> GetViewAsync() => Task.FromResult(_job is null ? null : View(_job));

    public async Task<JobSyncOutcome> SyncAsync(Guid workerId, JobSync sync)
    {
        var now = time.GetUtcNow();
        var reports = sync.Reports;
        // All or nothing: judge every report against memory first, without awaiting, so no other call
        // can interleave between judging and applying.
        if (_workbook is null || reports.Any(r => _workbook.Judge(workerId, r.Ref, now) != ReportVerdict.Accept))
        {
            var refused = reports.Count == 0 ? [] : await JudgeReportsAsync(workerId, reports.Select(r => r.Ref).ToList());
            // An ended job (no workbook) has nothing left to compute: every replica still held is to be dropped.
            return refused.Count > 0 || _workbook is not null
                ? new JobSyncOutcome(refused, [], [])
                : new JobSyncOutcome([], sync.InProgress ?? [], []);
        }
        // Decode every payload before applying any report, so a bad one cannot leave half a sync applied.
        var payloads = reports.Select(r => r.Payload is null ? null : Convert.FromBase64String(r.Payload)).ToList();
        for (var i = 0; i < reports.Count; i++)
        {
            _workbook.Apply(reports[i], payloads[i], now);
        }
        IReadOnlyList<ReplicaRef> cancelled = sync.InProgress?.Where(r => !_workbook.IsLeasedTo(workerId, r, now)).ToList() ?? [];
        var assignments = _workbook.Lease(workerId, sync.Wanted, now, sync.InProgress?.ToHashSet());
        await CommitAsync();
        metrics.ReportsAccepted.Add(reports.Count);
        metrics.UnitsDispatched.Add(assignments.Count);
        return new JobSyncOutcome([], cancelled, assignments);
    }

    public async Task<IReadOnlyList<RefusedReport>> JudgeReportsAsync(Guid workerId, IReadOnlyList<ReplicaRef> reports)
    {
        var now = time.GetUtcNow();
        var refused = new List<RefusedReport>();
        foreach (var replica in reports)
        {
            var verdict = _workbook?.Judge(workerId, replica, now)
                // Not in the open window: the unit is finished (or never existed); only the store knows which.
                ?? ReportVerdicts.Judge(await store.FindReplicaAsync(replica), workerId, now);
            if (verdict != ReportVerdict.Accept)
            {
                refused.Add(new RefusedReport(replica, verdict));
            }
        }
        return refused;
    }

    public async Task<bool> CancelAsync()
    {
        if (_workbook is null || !_workbook.Cancel(time.GetUtcNow()))
        {
            return false;
        }
        await CommitAsync();
        return true;
    }

    private async Task OpenWorkbookAsync(JobRecord job, CancellationToken cancellationToken)
    {
        var app = apps.Find(job.App) ?? throw new InvalidOperationException($"Job {job.Id} needs app {job.App}, which this coordinator lacks.");
        var openUnits = await store.LoadOpenUnitsAsync(job.Id, cancellationToken);
        _workbook = new JobWorkbook(job, app, openUnits, options.Value.MaxOpenUnitsPerJob);
        var sweep = options.Value.LeaseSweepInterval;
        this.RegisterGrainTimer(ExpireLeasesAsync, new GrainTimerCreationOptions(sweep, sweep) { Interleave = true });
    }

    private async Task ExpireLeasesAsync(CancellationToken cancellationToken)
    {
        if (_workbook is null)
        {
            return;
        }
        var expired = _workbook.ExpireLeases(time.GetUtcNow());
        if (expired > 0)
        {
            Log.LeasesExpired(logger, JobId, expired);
            metrics.LeasesExpired.Add(expired);
        }
        await CommitAsync();
    }

    /// <summary>Commits what the workbook changed; nothing is acknowledged until this returns.</summary>
    private async Task CommitAsync()
    {
        var workbook = _workbook!;
        var changes = workbook.TakeChanges();
        var wasRunning = _job!.State == JobState.Running;
        _job = workbook.Job;
        try
        {
            await store.CommitAsync(changes);
        }
        catch (Exception ex)
        {
            Log.CommitFailed(logger, ex, JobId);
            DeactivateOnIdle();
            throw;
        }
        if (wasRunning && _job.State != JobState.Running)
        {
            Log.JobEnded(logger, JobId, _job.State, _job.FailureReason);
            await GrainFactory.GetGrain<IJobCatalogGrain>(0).JobEndedAsync(JobId);
            runningJobs.Invalidate();
        }
    }

    private JobView View(JobRecord job)
    {
        var units = _workbook?.CountUnits()
            ?? new UnitCounts(job.UnitCount - job.UnitsAssimilated - job.UnitsFailed, 0, 0, 0, job.UnitsAssimilated, job.UnitsFailed);
        using var parameters = JsonDocument.Parse(job.Parameters);
        JsonElement? result = null;
        if (job.State == JobState.Completed)
        {
            using var accumulated = JsonDocument.Parse(job.Accumulated);
            result = accumulated.RootElement.Clone();
        }
        return new JobView(job.Id, job.App, parameters.RootElement.Clone(), job.Redundancy, job.DeadlineSeconds, job.Priority,
            job.State, job.UnitCount, units, job.UnitCount == 0 ? 1 : (double)job.UnitsAssimilated / job.UnitCount,
            result, job.FailureReason, job.CreatedAt, job.FinishedAt);
    }
}

internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Job {JobId} submitted: app {App}, {UnitCount} units")]
    public static partial void JobSubmitted(ILogger logger, Guid jobId, string app, long unitCount);

    [LoggerMessage(1002, LogLevel.Information, "Job {JobId} ended {State} {Reason}")]
    public static partial void JobEnded(ILogger logger, Guid jobId, JobState state, string? reason);

    [LoggerMessage(1003, LogLevel.Information, "Job {JobId}: {Count} leases expired and were reissued")]
    public static partial void LeasesExpired(ILogger logger, Guid jobId, int count);

    [LoggerMessage(1004, LogLevel.Error, "Job {JobId}: commit failed; the grain reloads from the store")]
    public static partial void CommitFailed(ILogger logger, Exception exception, Guid jobId);
}

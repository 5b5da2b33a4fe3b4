using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Apps;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// Owns one job's hot state. Reentrant so that many workers' calls share group commits: each call
/// changes the in-memory workbook synchronously, takes the changes and awaits their commit before
/// answering. Should a commit fail, the grain deactivates and reloads from the store, which is the
/// source of truth. Every commit is fenced with the epoch this activation claimed (<see cref="JobEpoch"/>),
/// so should Orleans briefly run a second activation (a partition), the one that claimed first can no
/// longer write: its next commit is refused and it deactivates. Result payloads that stayed at the edge are pulled by the
/// <see cref="ResultPuller"/>, off the grain's turns; it tells the grain once a payload is in the blob store.
/// </summary>
[Reentrant]
public sealed class JobGrain(
    IWorkStore store,
    AppDirectory apps,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    RunningJobs runningJobs,
    ResultPuller puller,
    IBlobStore blobs,
    CoordinatorMetrics metrics,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private JobRecord? _job;
    private long _commitsTaken;
    private long _commitsShown;
    private JobEpoch? _epoch;
    private JsonElement _parameters;
    private JobWorkbook? _workbook;

    /// <summary>The blobs every unit reads (the app's InputBlobs of the parameters), computed when the workbook opens.</summary>
    private IReadOnlyList<string> _inputBlobs = [];

    /// <summary>The module blob a registered WebAssembly app's units run; null for a built-in app.</summary>
    private string? _module;
    /// <summary>The job's relay figures: those stored at activation and every one counted since.</summary>
    private JobRelay _relay = JobRelay.None;

    /// <summary>Relay figures counted and not yet in a batch: they go with the next commit.</summary>
    private JobRelay _relayToCommit = JobRelay.None;

    /// <summary>A commit failed (a stale epoch, say): the grain is deactivating and reloads from the store.</summary>
    private bool _commitFailed;

    private Guid JobId => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The claim comes before any read: once it is committed, no batch of an earlier activation can commit any
        // more, so what is read next holds everything an earlier activation ever acknowledged.
        _epoch = await store.ClaimEpochAsync(JobId, cancellationToken);
        _job = await store.FindJobAsync(JobId, cancellationToken);
        if (_job is null)
        {
            return;
        }
        // Parsed once per activation: the splitter and every status share them.
        using (var parameters = JsonDocument.Parse(_job.Parameters))
        {
            _parameters = parameters.RootElement.Clone();
        }
        _relay = (await store.FindJobRelayAsync(JobId, cancellationToken))?.Figures ?? JobRelay.None;
        // Without an epoch the job was not running when claimed: no workbook, nothing to write.
        if (_epoch is not null && _job.State == JobState.Running)
        {
            OpenWorkbook(_job, await AppOfAsync(_job, cancellationToken), await store.LoadOpenUnitsAsync(JobId, cancellationToken));
            // Units that were waiting for their payloads from the edge still are.
            PullPayloads(_workbook!.TakePayloadsNewlyWanted());
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation pulls what it still wants.
        puller.Stop(JobId);
        // What was judged since the last sweep is committed; the hosts still hear of it, all at once.
        return _workbook is not null ? TellHostsAsync(TimeSpan.Zero) : Task.CompletedTask;
    }

    public async Task<JobStatus> SubmitAsync(JobSpec spec)
    {
        if (_job is not null)
        {
            return Status(_job);
        }
        var job = new JobRecord(JobId, spec.App, spec.Parameters.GetRawText(), spec.Redundancy, spec.DeadlineSeconds, spec.Priority,
            spec.UnitCount, 0, 0, 0, JobState.Running, spec.Seed, null, time.GetUtcNow(), null, spec.Adaptive);
        var batch = new WorkBatch();
        batch.Jobs.Add(job);
        // The blobs its units read are kept while it runs.
        var app = await AppOfAsync(job, CancellationToken.None);
        batch.JobBlobs.AddRange(app.InputBlobs(spec.Parameters).Distinct().Select(digest => new JobBlobRecord(job.Id, digest, JobBlobUse.Input)));
        await store.CommitAsync(batch);
        _job = job;
        _epoch = JobEpoch.Submitted(job.Id);
        _parameters = spec.Parameters;
        // A job just created has no units yet: nothing to load.
        OpenWorkbook(job, app, []);
        await GrainFactory.Reference<IJobCatalogGrain>(0).JobStartedAsync(new RunningJob(job.Id, job.Priority, job.CreatedAt, job.App));
        runningJobs.Invalidate();
        Log.JobSubmitted(logger, job.Id, job.App, job.UnitCount);
        return Status(job);
    }

    public Task<JobStatus?> GetStatusAsync() => Task.FromResult(_job is null ? null : Status(_job));

    public Task<JobProgress?> GetProgressAsync() =>
        Task.FromResult(_job is null ? null : new JobProgress(_workbook?.CountUnits() ?? _job.SettledUnitCounts(), _relay));

    public async Task<JobSyncOutcome> SyncAsync(JobSync sync)
    {
        var host = sync.Host;
        var workerId = host.WorkerId;
        var now = time.GetUtcNow();
        var results = sync.Results;
        var app = _job?.App ?? "";
        // All or nothing: judge every result against memory first, without awaiting, so no other call
        // can interleave between judging and applying.
        if (_workbook is null || results.Any(r => _workbook.Judge(workerId, r, now) != ReportVerdict.Accept))
        {
            var refused = results.Count == 0 ? [] : await RefusalsAsync(workerId, results, now);
            // An ended job (no workbook) has nothing left to compute: every replica still held is to be dropped.
            return refused.Count > 0 || _workbook is not null
                ? new JobSyncOutcome(refused, [], app, [])
                : new JobSyncOutcome([], sync.InProgress ?? [], app, []);
        }
        var held = _workbook.HoldingOf(workerId);
        foreach (var result in results)
        {
            _workbook.Apply(result, now, host.Cores, held);
        }
        IReadOnlyList<ReplicaRef> cancelled = sync.InProgress?.Where(r => !_workbook.IsLeasedTo(workerId, r, now)).ToList() ?? [];
        var leased = _workbook.Lease(host, sync.Wanted, now, sync.InProgress?.ToHashSet(), sync.MayHold, sync.MayIssue);
        var holding = _workbook.HoldingOf(workerId);
        await CommitAsync();
        metrics.ReportsAccepted.Add(results.Count);
        metrics.UnitsDispatched.Add(leased.Leases.Count);
        return new JobSyncOutcome([], cancelled, app, leased.Leases, leased.Issued, holding, _inputBlobs, _module);
    }

    public async Task DistrustAsync(Guid workerId)
    {
        if (_workbook is null || _commitFailed)
        {
            return;
        }
        _workbook.Distrust(workerId, time.GetUtcNow());
        await CommitAsync();
    }

    public async Task CountRelayAsync(JobRelay figures)
    {
        if (_job is null || _commitFailed)
        {
            return;
        }
        _relay = _relay.Plus(figures);
        _relayToCommit = _relayToCommit.Plus(figures);
        if (_workbook is not null)
        {
            await CommitAsync();
            return;
        }
        // A job that had ended when its grain activated has no epoch to write under; figures only add up, so they go
        // unfenced, alone.
        var batch = new WorkBatch();
        batch.Relay.Add(new JobRelayRecord(JobId, _relayToCommit));
        _relayToCommit = JobRelay.None;
        await store.CommitAsync(batch);
    }

    public async Task PayloadUnreachableAsync(string digest)
    {
        if (_workbook is null || _commitFailed || !_workbook.WantsPayload(digest))
        {
            return;
        }
        var failed = _workbook.GiveUpPayload(digest, time.GetUtcNow());
        Log.ResultGivenUp(logger, JobId, digest, failed);
        await CommitAsync();
    }

    public async Task ResultBlobStoredAsync(string digest)
    {
        if (_workbook is null || _commitFailed || !_workbook.WantsPayload(digest))
        {
            return;
        }
        var payload = await puller.ReadAsync(digest);
        // Other calls ran during the read: the job may have ended, or another delivery of the payload come first.
        if (_commitFailed || !_workbook.WantsPayload(digest))
        {
            return;
        }
        if (payload is null)
        {
            // Not in the store after all (collected, or never complete): pulled again.
            PullPayloads([digest]);
            return;
        }
        var holders = _workbook.HoldersOf(digest);
        var units = _workbook.DeliverPayload(digest, payload, time.GetUtcNow());
        var pulled = JobRelay.None with { ResultsPulled = 1 };
        _relay = _relay.Plus(pulled);
        _relayToCommit = _relayToCommit.Plus(pulled);
        await CommitAsync();
        metrics.ResultsPulled.Add(1);
        Log.ResultDelivered(logger, JobId, digest, units);
        // The job has it now: the hosts that hold it may drop their copies.
        foreach (var holder in holders)
        {
            GrainFactory.Reference<IHostGrain>(holder).ReleaseAsync([digest]).Ignore();
        }
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

    /// <summary>Why each of these results would be refused; an empty list when all would be accepted.</summary>
    private async Task<IReadOnlyList<RefusedReport>> RefusalsAsync(Guid workerId, IReadOnlyList<ReplicaResult> results, DateTimeOffset now)
    {
        var refused = new List<RefusedReport>();
        foreach (var result in results)
        {
            var verdict = _workbook?.Judge(workerId, result, now)
                // Not in the open window: the unit is finished (or never existed); only the store knows which.
                ?? ReportVerdicts.Judge(await store.FindReplicaAsync(result.Replica), workerId, now);
            if (verdict != ReportVerdict.Accept)
            {
                refused.Add(new RefusedReport(result.Replica, verdict));
            }
        }
        return refused;
    }

    /// <summary>The job's app: a built-in, or the registered version the job recorded (versions are never removed).</summary>
    private async Task<IScienceApp> AppOfAsync(JobRecord job, CancellationToken cancellationToken) =>
        await apps.FindAsync(job.App, cancellationToken)
            ?? throw new InvalidOperationException($"Job {job.Id} needs app {job.App}, which this coordinator lacks.");

    private void OpenWorkbook(JobRecord job, IScienceApp app, IEnumerable<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)> openUnits)
    {
        _inputBlobs = app.InputBlobs(_parameters);
        _module = (app as WasmScienceApp)?.Version.Module;
        var settings = options.Value;
        _workbook = new JobWorkbook(job, _parameters, app, openUnits, new WorkbookLimits(
            settings.MaxOpenUnitsPerJob, settings.MaxFailedUnitShare, settings.PlacementPoolSize, settings.MaxInProgressPerAccount,
            settings.SpotCheckShare, settings.TailShare, settings.SpeculationFactor));
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
        await TellHostsAsync(TellingPause);
        // Every payload still wanted, so that a pull that ended without its payload delivered starts again.
        PullPayloads([.. _workbook.PayloadsWanted]);
    }

    /// <summary>Has the puller pull these payloads from the hosts that hold them (or adds holders to pulls under way).</summary>
    private void PullPayloads(IReadOnlyList<string> digests)
    {
        foreach (var digest in digests)
        {
            puller.Pull(JobId, digest, _workbook!.HoldersOf(digest));
        }
    }

    /// <summary>
    /// Tells each host how its replicas were judged since the last sweep, for its quota, and how many of this
    /// job's replicas it holds now (leases that timed out or were cancelled are no longer held): one message
    /// per host per sweep, not one per result. A judgement whose commit is still in flight may be told a moment
    /// early; should that commit fail, a quota is off by one halving or doubling, nothing more.
    /// </summary>
    /// <param name="pause">
    /// Waited after every <see cref="HostsToldAtOnce"/> hosts. A sweep at 100,000 volunteers tells about a thousand hosts;
    /// sent at once, their calls queue ahead of the syncs arriving meanwhile (slow syncs came bunched 5 s apart, the
    /// sweep's period; paced, no such period showed in three runs). The grain is reentrant: syncs go on between the batches.
    /// </param>
    private async Task TellHostsAsync(TimeSpan pause)
    {
        if (_commitFailed)
        {
            return;
        }
        var workbook = _workbook!;
        var cost = workbook.CostPerUnitSeconds;
        var told = 0;
        foreach (var (workerId, tally) in workbook.TakeTallies())
        {
            metrics.CountJudged(tally);
            GrainFactory.Reference<IHostGrain>(workerId)
                .RecordAsync(new JobTally(JobId, _job!.App, tally, workbook.HoldingOf(workerId), cost)).Ignore();
            if (++told % HostsToldAtOnce == 0 && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause);
            }
        }
    }

    private const int HostsToldAtOnce = 64;

    private static readonly TimeSpan TellingPause = TimeSpan.FromMilliseconds(10);

    /// <summary>Commits what the workbook changed; nothing is acknowledged until this returns.</summary>
    private async Task CommitAsync()
    {
        var workbook = _workbook!;
        var changes = workbook.TakeChanges();
        if (_relayToCommit != JobRelay.None)
        {
            changes.Relay.Add(new JobRelayRecord(JobId, _relayToCommit));
            _relayToCommit = JobRelay.None;
        }
        changes.Fence = _epoch;
        // The job as these changes leave it is shown only once they are durable: a status read interleaved with the
        // commit (the grain is reentrant) must not report a state, such as Completed, the store may yet lose.
        var committing = workbook.Job;
        var commitNumber = ++_commitsTaken;
        var payloadsToKeep = workbook.TakePayloadsToKeep();
        try
        {
            // Before the batch: once the job's result names a payload, its result file can be built from the blob store.
            foreach (var (digest, payload) in payloadsToKeep)
            {
                using var content = new MemoryStream(payload, writable: false);
                _ = await blobs.PutAsync(digest, content, payload.Length, time.GetUtcNow())
                    ?? throw new InvalidDataException($"Job {JobId}'s folded payload is not {digest}.");
            }
            await store.CommitAsync(changes);
        }
        catch (Exception ex)
        {
            if (ex is StaleEpochException)
            {
                Log.EpochSuperseded(logger, JobId, _epoch!.Epoch);
            }
            else
            {
                Log.CommitFailed(logger, ex, JobId);
            }
            // The workbook may now hold changes the store never took: nothing more is told from it.
            _commitFailed = true;
            DeactivateOnIdle();
            throw;
        }
        metrics.CountCredit(changes.Credits);
        // Group commits may finish out of order; an older snapshot never replaces a newer one.
        if (commitNumber < _commitsShown)
        {
            PullPayloads(workbook.TakePayloadsNewlyWanted());
            return;
        }
        _commitsShown = commitNumber;
        var wasRunning = _job!.State == JobState.Running;
        _job = committing;
        if (wasRunning && _job.State != JobState.Running)
        {
            Log.JobEnded(logger, JobId, _job.State, _job.FailureReason);
            puller.Stop(JobId);
            await GrainFactory.Reference<IJobCatalogGrain>(0).JobEndedAsync(JobId);
            runningJobs.Invalidate();
        }
        // Payloads of units validated by what was just committed are pulled now that their validity is durable.
        PullPayloads(workbook.TakePayloadsNewlyWanted());
    }

    private JobStatus Status(JobRecord job) =>
        new(job, _workbook?.CountUnits() ?? job.SettledUnitCounts(), _parameters, _workbook?.EstimateCompletion(time.GetUtcNow()), _relay);
}

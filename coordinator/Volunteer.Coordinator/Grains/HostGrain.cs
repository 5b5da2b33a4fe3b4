using Microsoft.Extensions.Options;
using Orleans.Placement;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// A volunteer host's syncs, one at a time (not reentrant: two syncs of one host racing could each stay
/// within its cap and together exceed it). What the host holds is learnt from the jobs themselves after each
/// call, never from the host's own word, so a host that hides what it holds cannot hoard. The daily quota is
/// kept in the store when its results are judged and when the grain deactivates; a crash forgets at most the
/// replicas issued since, which errs on the host's side. Its record with each app (what adaptive replication trusts) is
/// written by the jobs with their judgements; the grain keeps a copy, read at activation and brought up to date by what
/// the jobs tell it, and from it decides whether the host is trusted, and whether it returns more than it could compute.
/// </summary>
[PreferLocalPlacement]
public sealed class HostGrain(
    IWorkStore store,
    RunningJobs runningJobs,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    ILogger<HostGrain> logger) : Grain, IHostGrain
{
    private readonly Dictionary<Guid, int> _holdingByJob = [];
    private readonly Dictionary<string, HostTally> _reliability = [];
    private readonly HashSet<string> _flagged = [];
    private readonly Dictionary<string, ResultRate> _rates = [];

    /// <summary>The jobs the host synced with since the grain activated, and their apps: where its results accepted alone may wait.</summary>
    private readonly Dictionary<Guid, string> _jobsSynced = [];
    private HostQuotaRecord? _quota;
    private HostQuotaRecord? _stored;
    private int _cores;

    private Guid WorkerId => this.GetPrimaryKey();

    private VolunteerOptions Options => options.Value;

    private int FullQuota => (int)Math.Min(int.MaxValue, (long)Options.DailyQuotaPerCore * _cores);

    private int MaxInProgress => (int)Math.Min(Options.MaxInProgressPerHost, (long)Options.InProgressPerCore * _cores);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The cores it attached with never change; a job telling of its results may wake the grain before any sync.
        _cores = (await store.FindWorkerAsync(WorkerId, cancellationToken))?.Cores ?? 1;
        _stored = await store.FindHostQuotaAsync(WorkerId, cancellationToken);
        _quota = _stored;
        foreach (var record in await store.ListHostReliabilityAsync(WorkerId, cancellationToken))
        {
            _reliability[record.App] = record.Tally;
        }
        foreach (var flag in await store.ListHostFlagsAsync(WorkerId, int.MaxValue, cancellationToken: cancellationToken))
        {
            _flagged.Add(flag.App);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        await SaveAsync(null);

    public async Task<HostSyncOutcome> SyncAsync(HostSync sync)
    {
        var now = time.GetUtcNow();
        Quota(now);
        var heldByJob = sync.InProgress?.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<ReplicaRef>)g.ToList());
        IReadOnlyList<ReplicaRef>? HeldOf(Guid jobId) => heldByJob is null ? null : heldByJob.GetValueOrDefault(jobId, []);
        var knowsRunning = sync.RequestUnits > 0 || heldByJob is { Count: > 0 };
        var running = knowsRunning ? await runningJobs.GetAsync() : [];
        var called = new HashSet<Guid>();
        var cancelled = new List<ReplicaRef>();
        var outcomes = new List<JobSyncOutcome>();
        var leased = 0;

        async Task<JobSyncOutcome> CallAsync(Guid jobId, IReadOnlyList<ReplicaResult> results, int wanted)
        {
            called.Add(jobId);
            var mayHold = MaxInProgress - _holdingByJob.Where(h => h.Key != jobId).Sum(h => h.Value);
            var app = running.FirstOrDefault(r => r.JobId == jobId)?.App;
            if (app is not null)
            {
                _jobsSynced[jobId] = app;
            }
            var outcome = await GrainFactory.GetGrain<IJobGrain>(jobId)
                .SyncAsync(Standing(sync.Host, app), new JobSync(results, HeldOf(jobId), wanted, mayHold, _quota!.Left(now)));
            if (outcome.Refused.Count > 0)
            {
                return outcome;
            }
            _holdingByJob[jobId] = outcome.Holding;
            if (outcome.Issued > 0)
            {
                _quota = _quota!.Issue(outcome.Issued, now);
            }
            leased += outcome.Leases.Count;
            cancelled.AddRange(outcome.Cancelled);
            outcomes.Add(outcome);
            return outcome;
        }

        // The reports' job first, alone: until it has accepted them no other job may lease, or a refused
        // sync would hand out work. It leases too when it is first in line, as in the common sync.
        if (sync.Results.Count > 0)
        {
            var jobId = sync.Results[0].Replica.JobId;
            var firstInLine = running.Count > 0 && running[0].JobId == jobId;
            var outcome = await CallAsync(jobId, sync.Results, firstInLine ? sync.RequestUnits : 0);
            if (outcome.Refused.Count > 0)
            {
                return new HostSyncOutcome(outcome.Refused, [], []);
            }
        }
        // Then the jobs in line, one after another, each once, until the host has what it asked for or all it
        // may hold. The first is always asked: it sends again the leases whose answer the host lost, cap or not.
        foreach (var job in running)
        {
            if (leased >= sync.RequestUnits || (called.Count > 0 && _holdingByJob.Values.Sum() >= MaxInProgress))
            {
                break;
            }
            if (!called.Contains(job.JobId))
            {
                await CallAsync(job.JobId, [], sync.RequestUnits - leased);
            }
        }
        // Last, the other jobs the worker holds replicas of. A running one says which to drop, all together;
        // of a job that is not running (ended, or never was) every replica is dropped, and no grain wakes for it.
        var uncalled = heldByJob?.Keys.Where(job => !called.Contains(job)).ToList() ?? [];
        if (uncalled.Any(job => !running.Any(r => r.JobId == job)))
        {
            // This silo's copy may miss a job just started through another silo: ask the catalog itself.
            running = await runningJobs.GetAsync(fresh: true);
        }
        var stillRunning = running.Select(r => r.JobId).ToHashSet();
        foreach (var job in uncalled.Where(job => !stillRunning.Contains(job)))
        {
            cancelled.AddRange(heldByJob![job]);
        }
        await Task.WhenAll(uncalled.Where(stillRunning.Contains).Select(job => CallAsync(job, [], 0)));
        if (knowsRunning)
        {
            // A job that ended holds nothing of the host's any more.
            foreach (var job in _holdingByJob.Keys.Where(job => !stillRunning.Contains(job)).ToList())
            {
                _holdingByJob.Remove(job);
            }
        }
        return new HostSyncOutcome([], cancelled, outcomes);
    }

    public async Task RecordAsync(JobTally told)
    {
        var (jobId, app, tally, holding) = (told.JobId, told.App, told.Tally, told.Holding);
        var now = time.GetUtcNow();
        // A lease that timed out or was cancelled is no longer held: without this, a host at its cap would
        // never be offered work again until it synced with that very job.
        if (holding > 0)
        {
            _holdingByJob[jobId] = holding;
        }
        else
        {
            _holdingByJob.Remove(jobId);
        }
        _quota = Quota(now).Judged(tally, FullQuota);
        _reliability[app] = _reliability.TryGetValue(app, out var record) ? record.Then(tally) : tally;
        var flag = CountValid(app, tally.Valid, told.CostPerUnitSeconds, now);
        // Caught in one job, or flagged: what it sent alone to the others goes back to be replicated too.
        if (tally.Invalid > 0 || flag is not null)
        {
            foreach (var (job, _) in _jobsSynced.Where(j => j.Value == app && (flag is not null || j.Key != jobId)))
            {
                GrainFactory.GetGrain<IJobGrain>(job).DistrustAsync(WorkerId).Ignore();
            }
        }
        await SaveAsync(flag);
    }

    /// <summary>The host as the job of <paramref name="app"/> places replicas: with its cores, its trust and its usual turnaround.</summary>
    private VolunteerHost Standing(VolunteerHost host, string? app)
    {
        var record = app is null ? null : _reliability.GetValueOrDefault(app);
        return host with
        {
            Cores = _cores,
            Trusted = record is not null && record.ConsecutiveValid >= Options.AdaptiveTrustThreshold && !_flagged.Contains(app!),
            UsualTurnaroundSeconds = record?.AverageTurnaround?.TotalSeconds,
        };
    }

    /// <summary>
    /// Counts the host's valid results of the app over the last hour, and flags it when they exceed what its cores could
    /// compute in an hour at the cost per unit measured across the population (by the tolerance setting).
    /// </summary>
    private HostFlagRecord? CountValid(string app, long valid, double? costPerUnitSeconds, DateTimeOffset now)
    {
        if (!_rates.TryGetValue(app, out var rate))
        {
            _rates[app] = rate = new ResultRate();
        }
        rate.Count(valid, now);
        if (_flagged.Contains(app) || !rate.Exceeds(_cores, costPerUnitSeconds, Options.AnomalyTolerance, Options.AnomalyMinResults))
        {
            return null;
        }
        _flagged.Add(app);
        var capacity = ResultRate.CapacityPerHour(_cores, costPerUnitSeconds!.Value);
        Log.HostFlagged(logger, WorkerId, app, rate.LastHour, capacity);
        return new HostFlagRecord(WorkerId, app, now, rate.LastHour, capacity,
            $"{rate.LastHour} valid results of {app} in an hour; its {_cores} core(s) could compute about {capacity:0.#} at the " +
            $"{costPerUnitSeconds.Value:0.###} core-seconds a unit costs across the population.");
    }

    // Issue 11 contract: the coordinator-index helper writes these.
    public Task<string?> GetListedEndpointAsync() => throw new NotImplementedException();

    public Task RequestUploadAsync(string digest) => throw new NotImplementedException();

    public Task<bool> IsUploadRequestedAsync(string digest) => throw new NotImplementedException();

    public Task ReleaseAsync(IReadOnlyList<string> digests) => throw new NotImplementedException();

    public Task<HostLimits> GetLimitsAsync()
    {
        var quota = Quota(time.GetUtcNow());
        return Task.FromResult(new HostLimits(quota.Quota, quota.IssuedToday, _holdingByJob.Values.Sum(), MaxInProgress));
    }

    /// <summary>The host's quota as of <paramref name="now"/>; a host never seen before starts with its full quota.</summary>
    private HostQuotaRecord Quota(DateTimeOffset now)
    {
        _quota = (_quota ?? HostQuotaRecord.Fresh(WorkerId, FullQuota, now)).AsOf(now);
        return _quota;
    }

    /// <summary>Writes the quota if it changed, and the flag if the host was just flagged.</summary>
    private async Task SaveAsync(HostFlagRecord? flag)
    {
        var batch = new WorkBatch();
        if (_quota is not null && _quota != _stored)
        {
            batch.HostQuotas.Add(_quota);
        }
        if (flag is not null)
        {
            batch.HostFlags.Add(flag);
        }
        if (batch.IsEmpty)
        {
            return;
        }
        var quota = _quota;
        await store.CommitAsync(batch);
        _stored = quota;
    }
}

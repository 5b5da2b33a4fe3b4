using Microsoft.Extensions.Options;
using Orleans.Placement;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// A volunteer host's syncs, one at a time (not reentrant: two syncs of one host racing could each stay
/// within its cap and together exceed it). What the host holds is learnt from the jobs themselves after each
/// call, never from the host's own word, so a host that hides what it holds cannot hoard. The daily quota is
/// kept in the store when its results are judged and when the grain deactivates; a crash forgets at most the
/// replicas issued since, which errs on the host's side.
/// </summary>
[PreferLocalPlacement]
public sealed class HostGrain(IWorkStore store, RunningJobs runningJobs, IOptions<VolunteerOptions> options, TimeProvider time)
    : Grain, IHostGrain
{
    private readonly Dictionary<Guid, int> _holdingByJob = [];
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
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        await SaveQuotaAsync();

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
            var outcome = await GrainFactory.GetGrain<IJobGrain>(jobId)
                .SyncAsync(sync.Host, new JobSync(results, HeldOf(jobId), wanted, mayHold, _quota!.Left(now)));
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
        // Then the jobs in line, one after another, each once, until the host has what it asked for or all it may hold.
        foreach (var job in running)
        {
            if (leased >= sync.RequestUnits || _holdingByJob.Values.Sum() >= MaxInProgress)
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

    public async Task RecordAsync(HostTally tally)
    {
        _quota = Quota(time.GetUtcNow()).Judged(tally, FullQuota);
        await SaveQuotaAsync();
    }

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

    private async Task SaveQuotaAsync()
    {
        if (_quota is null || _quota == _stored)
        {
            return;
        }
        var batch = new WorkBatch();
        batch.HostQuotas.Add(_quota);
        await store.CommitAsync(batch);
        _stored = batch.HostQuotas[0];
    }
}

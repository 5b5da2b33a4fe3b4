using Microsoft.Extensions.Caching.Memory;
using Volunteer.Coordinator.Apps;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Dashboard.Data.Jobs;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Dashboard.Jobs;

/// <summary>
/// The job pages' data: jobs as the job API shows them (<see cref="JobViews"/>), pages and aggregates from the store.
/// A job's activity (two aggregates over its units and replicas) is read once per job every <see cref="ActivityLifetime"/>
/// on this silo, however many pages show it.
/// </summary>
internal sealed class JobsData(IWorkStore store, IGrainFactory grains, AppDirectory apps, TimeProvider time) : IJobsData, IDisposable
{
    public static readonly TimeSpan ActivityLifetime = TimeSpan.FromSeconds(3);

    private readonly MemoryCache _activity = new(new MemoryCacheOptions());

    public async Task<JobsPage?> ListJobsAsync(JobsPageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Limit, 1);
        JobRecord? cursor = null;
        if ((request.Before ?? request.After) is { } cursorId && (cursor = await store.FindJobAsync(cursorId, cancellationToken)) is null)
        {
            return null;
        }
        // One more than a page tells whether there is another page beyond it.
        var (limit, state) = (request.Limit, request.State);
        IReadOnlyList<JobRecord> records;
        bool hasPrevious, hasNext;
        var before = request.Before is not null ? await store.ListJobsBeforeAsync(state, limit + 1, cursor!, cancellationToken) : null;
        if (before is { } && before.Count > limit)
        {
            (records, hasPrevious, hasNext) = (before.Skip(1).ToList(), true, true);
        }
        else
        {
            // Going back reached the first page: it is read as the first page, full.
            var after = before is null ? cursor : null;
            var page = await store.ListJobsAsync(state, limit + 1, after, cancellationToken);
            (records, hasPrevious, hasNext) = (page.Take(limit).ToList(), after is not null, page.Count > limit);
        }
        // A list shows no result and no relay figures: none is parsed, none read.
        var views = await Task.WhenAll(records.Select(async job =>
        {
            var status = await JobViews.StatusAsync(job, grains);
            return JobViews.ViewOf(status, status.Relay, withResult: false);
        }));
        return new JobsPage(views, hasPrevious, hasNext);
    }

    public async Task<JobView?> FindJobAsync(Guid jobId, CancellationToken cancellationToken) =>
        await store.FindJobAsync(jobId, cancellationToken) is { } job
            ? await JobViews.ViewAsync(await JobViews.StatusAsync(job, grains), store, cancellationToken)
            : null;

    public Task<JobActivity?> GetActivityAsync(Guid jobId, CancellationToken cancellationToken) =>
        // Viewers of one job share one read under way; a failed read is not kept.
        _activity.GetOrCreate(jobId, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = ActivityLifetime;
            return ReadActivityAsync(jobId);
        })!.WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<FailedUnitReport>> ListFailedUnitsAsync(Guid jobId, long afterIndex, int limit, CancellationToken cancellationToken)
    {
        // Failed units are settled rows: the page and its replicas agree whenever each is read.
        var units = await store.ListUnitsAsync(jobId, UnitState.Failed, afterIndex, limit, cancellationToken);
        if (units.Count == 0)
        {
            return [];
        }
        var replicas = (await store.ListJudgedReplicasAsync(jobId, UnitState.Failed, afterIndex, limit, cancellationToken)).ToLookup(r => r.UnitIndex);
        return units.Select(unit => new FailedUnitReport(unit.UnitIndex, unit.Input,
            replicas[unit.UnitIndex].Select(r => new FailedUnitReplica(r.Replica, OutcomeOf(r.State, r.Outcome), r.Error)).ToList())).ToList();
    }

    public bool HasResultImage(string app) => apps.FindBuiltIn(app)?.ResultFile is not null;

    public async Task<CancelOutcome> CancelJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        if (await store.FindJobAsync(jobId, cancellationToken) is null)
        {
            return CancelOutcome.NotFound;
        }
        return await grains.Reference<IJobGrain>(jobId).CancelAsync() ? CancelOutcome.Cancelled : CancelOutcome.AlreadyEnded;
    }

    /// <summary>What became of a replica in the page's words: an error report is an error whatever was made of it after.</summary>
    public static ReplicaOutcome OutcomeOf(ReplicaState state, ReportOutcome? outcome) => (state, outcome) switch
    {
        (_, ReportOutcome.Error) => ReplicaOutcome.Error,
        (ReplicaState.Unsent, _) => ReplicaOutcome.Unsent,
        (ReplicaState.Assigned, _) => ReplicaOutcome.InFlight,
        (ReplicaState.Reported, _) => ReplicaOutcome.AwaitingValidation,
        (ReplicaState.Valid, _) => ReplicaOutcome.Valid,
        (ReplicaState.Invalid, _) => ReplicaOutcome.Invalid,
        (ReplicaState.TimedOut, _) => ReplicaOutcome.TimedOut,
        _ => ReplicaOutcome.Cancelled,
    };

    /// <summary>The replicas' counts by state and outcome, by what became of them.</summary>
    public static ReplicaOutcomes OutcomesOf(IEnumerable<ReplicaStateCount> counts)
    {
        var by = new long[Enum.GetValues<ReplicaOutcome>().Length];
        foreach (var count in counts)
        {
            by[(int)OutcomeOf(count.State, count.Outcome)] += count.Count;
        }
        return new ReplicaOutcomes(
            by[(int)ReplicaOutcome.Unsent], by[(int)ReplicaOutcome.InFlight], by[(int)ReplicaOutcome.AwaitingValidation],
            by[(int)ReplicaOutcome.Valid], by[(int)ReplicaOutcome.Invalid], by[(int)ReplicaOutcome.Error],
            by[(int)ReplicaOutcome.TimedOut], by[(int)ReplicaOutcome.Cancelled]);
    }

    private async Task<JobActivity?> ReadActivityAsync(Guid jobId)
    {
        try
        {
            // Not a viewer's cancellation: other viewers wait for the same read.
            if (await store.FindJobAsync(jobId) is not { } job)
            {
                return null;
            }
            var now = time.GetUtcNow();
            var span = (job.FinishedAt ?? now) - job.CreatedAt;
            var width = UnitTimeline.BucketWidthFor(span);
            var validated = new long[UnitTimeline.BucketCount(span, width)];
            foreach (var bucket in await store.CountValidatedUnitsOverTimeAsync(jobId, job.CreatedAt, width))
            {
                // A report stamped a moment before the job's row (another silo's clock) or after now counts at the edge.
                validated[Math.Clamp(bucket.Bucket, 0, validated.Length - 1)] += bucket.Count;
            }
            var replicas = OutcomesOf(await store.CountReplicasAsync(jobId));
            return new JobActivity(new UnitTimeline(job.CreatedAt, width, validated), replicas, now);
        }
        catch
        {
            _activity.Remove(jobId);
            throw;
        }
    }

    public void Dispose() => _activity.Dispose();
}

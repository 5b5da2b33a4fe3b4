using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Dashboard.Data.Overview;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Dashboard.Overview;

/// <summary>
/// Computes the overview's figures once a second on this silo and hands every viewer the same snapshot. It starts when
/// someone first asks and stops working once nobody has asked for <see cref="IdleAfter"/>. A second costs one call to
/// each running job's grain (figures that change every second: units, relay bytes), the membership this silo already
/// has, and the cluster's results per second (<see cref="ClusterResults"/>); every <see cref="StoreInterval"/> three
/// aggregate reads of the store (hosts active now and over a day, totals of all jobs). Nothing here grows with viewers.
/// </summary>
public sealed class OverviewSnapshots(
    IGrainFactory grains,
    RunningJobs runningJobs,
    IWorkStore store,
    IClusterMembershipService membership,
    ClusterResults results,
    TimeProvider time,
    ILogger<OverviewSnapshots> logger) : IOverviewData, IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan StoreInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(30);

    /// <summary>A host is active "now" if it synced within this (its recorded sync may be up to two <see cref="Presence.HostPresence.Throttle"/>s behind).</summary>
    public static readonly TimeSpan ActiveNow = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan ActiveDay = TimeSpan.FromHours(24);

    /// <summary>A job's grain that does not answer within this keeps its last figures for this second.</summary>
    private static readonly TimeSpan JobCallTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private OverviewSnapshot? _latest;
    private TaskCompletionSource<OverviewSnapshot>? _first;
    private Task? _loop;
    private long _askedAt;
    private int _disposing;

    // Kept between seconds by the loop alone (a job's figures, written by its call, under their own lock).
    private readonly Dictionary<Guid, JobProgress> _jobs = [];
    private IReadOnlyList<RunningJob> _running = [];
    private StoreFigures? _stored;
    private DateTimeOffset _storeTriedAt = DateTimeOffset.MinValue;

    public async ValueTask<OverviewSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _askedAt, time.GetTimestamp());
        results.Watch();
        Task<OverviewSnapshot> first;
        lock (_lock)
        {
            if (_latest is { } latest)
            {
                return latest;
            }
            if (_loop is null)
            {
                _first = new TaskCompletionSource<OverviewSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
                _loop = RunAsync(_disposed.Token);
            }
            first = _first!.Task;
        }
        return await first.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var started = time.GetTimestamp();
                var snapshot = await ComputeAsync(cancellationToken);
                var elapsed = time.GetElapsedTime(started);
                OverviewLog.SnapshotComputed(logger, elapsed.TotalMilliseconds, snapshot.JobsRunning);
                lock (_lock)
                {
                    if (time.GetElapsedTime(Volatile.Read(ref _askedAt)) > IdleAfter)
                    {
                        // Nobody watches: stop, and forget what would be stale when someone comes back.
                        Stop();
                        return;
                    }
                    _latest = snapshot;
                    _first?.TrySetResult(snapshot);
                }
                var wait = Interval - elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            OverviewLog.SnapshotsFailed(logger, ex);
            lock (_lock)
            {
                _first?.TrySetException(ex);
                Stop();
            }
        }
    }

    /// <summary>Under the lock: the next viewer starts the work again from nothing.</summary>
    private void Stop()
    {
        _latest = null;
        _first = null;
        _loop = null;
        _jobs.Clear();
        _running = [];
        _stored = null;
        _storeTriedAt = DateTimeOffset.MinValue;
    }

    private async Task<OverviewSnapshot> ComputeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var running = await RunningAsync();
        var jobs = await Task.WhenAll(running.Select(job => ProgressAsync(job.JobId)));
        // The figures of jobs no longer running are the store's now.
        foreach (var gone in _jobs.Keys.Except(running.Select(j => j.JobId)).ToList())
        {
            _jobs.Remove(gone);
        }
        if (now - _storeTriedAt >= StoreInterval)
        {
            _storeTriedAt = now;
            _stored = await ReadStoreAsync(now, cancellationToken) ?? _stored;
        }
        long waiting = 0, inProgress = 0, validated = 0, validNotAssimilated = 0;
        var relay = _stored?.Totals.EndedRelay ?? JobRelay.None;
        foreach (var job in jobs.OfType<JobProgress>())
        {
            waiting += job.Units.Pending;
            inProgress += job.Units.InProgress;
            validated += job.Units.Valid + job.Units.Assimilated;
            validNotAssimilated += job.Units.Valid;
            relay = relay.Plus(job.Relay);
        }
        var silosUp = membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        return new OverviewSnapshot(
            now,
            _stored?.Now is { } activeNow ? ActivityOf(activeNow) : null,
            _stored?.Day is { } activeDay ? ActivityOf(activeDay) : null,
            results.Rates(),
            new UnitTotals(waiting, inProgress, validated, (_stored?.Totals.UnitsAssimilated ?? 0) + validNotAssimilated),
            running.Count,
            new RelayBytes(relay.CoordinatorBytes, relay.PeerBytes),
            silosUp,
            _stored?.ReadAt);
    }

    private async Task<IReadOnlyList<RunningJob>> RunningAsync()
    {
        try
        {
            return _running = await runningJobs.GetAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The catalog's silo going: this second goes on with the jobs last heard of.
            OverviewLog.PartFailed(logger, ex, "running jobs");
            return _running;
        }
    }

    /// <summary>The job's figures from its grain, or the last ones heard if it does not answer in time.</summary>
    private async Task<JobProgress?> ProgressAsync(Guid jobId)
    {
        try
        {
            var progress = await grains.Reference<IJobGrain>(jobId).GetProgressAsync().WaitAsync(JobCallTimeout);
            if (progress is not null)
            {
                lock (_jobs)
                {
                    _jobs[jobId] = progress;
                }
            }
            return progress;
        }
        catch (Exception)
        {
            lock (_jobs)
            {
                return _jobs.GetValueOrDefault(jobId);
            }
        }
    }

    private async Task<StoreFigures?> ReadStoreAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var activeNow = await store.CountHostsActiveAsync(now - ActiveNow, cancellationToken);
            var activeDay = await store.CountHostsActiveAsync(now - ActiveDay, cancellationToken);
            var totals = await store.SumJobsAsync(cancellationToken);
            return new StoreFigures(now, activeNow, activeDay, totals);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store restarting: the last figures stand (their time says how old they are), tried again next second.
            OverviewLog.PartFailed(logger, ex, "store");
            return null;
        }
    }

    private static HostActivity ActivityOf(HostActivityCount count) => new(count.Hosts, count.Accounts, count.Cores);

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IOverviewData, it is disposed twice.
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            return;
        }
        await _disposed.CancelAsync();
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop;
        }
        _disposed.Dispose();
    }

    private sealed record StoreFigures(DateTimeOffset ReadAt, HostActivityCount Now, HostActivityCount Day, JobTotals Totals);
}

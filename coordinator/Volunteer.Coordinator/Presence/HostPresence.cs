using System.Collections.Concurrent;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Presence;

/// <summary>
/// When each host last synced, for the dashboard (who is online, the Hosts page). The sync endpoint tells every sync;
/// this silo keeps at most one per host per <see cref="Throttle"/> and writes those in one transaction every
/// <see cref="FlushInterval"/> and once more when the silo stops, never a write per sync. The stored time is therefore
/// up to a throttle, a sync interval and a flush behind: "active in the last five minutes" reads it right. Flushed every second, not every
/// ten: at 100,000 volunteers a ten-second flush updated some 8,000 rows at once, and the first one after a PostgreSQL
/// checkpoint wrote their pages whole into the WAL (116 MB written in one second, vmstat) while syncs waited for CPU;
/// a flush a second spreads that (67 MB at most, and half the syncs slowed).
/// </summary>
public sealed class HostPresence(IWorkStore store, TimeProvider time, ILogger<HostPresence> logger) : BackgroundService
{
    /// <summary>
    /// Half the dashboard's five-minute "online" window: a host that syncs more often than this has a stored time at most
    /// two throttles old, so it never shows offline; one that syncs less often has each sync kept. Two minutes, not one:
    /// with a sync a minute, nearly every sync rewrote the host's row (with its indexes), the most rows PostgreSQL wrote
    /// for any one table (pg_stat_user_tables, 30,000 volunteers; 0.53 a sync now).
    /// </summary>
    public static readonly TimeSpan Throttle = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>The time this silo last kept for each host that synced within <see cref="Throttle"/>; older ones are pruned once a throttle period.</summary>
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _kept = new();

    /// <summary>The syncs kept and not yet written.</summary>
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _pending = new();

    private readonly SemaphoreSlim _flushing = new(1, 1);

    /// <summary>When <see cref="_kept"/> was last pruned (under <see cref="_flushing"/>).</summary>
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;

    /// <summary>A host synced now: kept unless this silo kept one of its syncs less than <see cref="Throttle"/> ago.</summary>
    public void Synced(Guid workerId)
    {
        var now = time.GetUtcNow();
        if (_kept.TryGetValue(workerId, out var kept) && now - kept < Throttle)
        {
            return;
        }
        // Two syncs of one host racing here both pass: the later time wins in the batch, and the store keeps the later.
        _kept[workerId] = now;
        _pending.AddOrUpdate(workerId, now, (_, pending) => pending > now ? pending : now);
    }

    /// <summary>Writes the syncs kept since the last flush, in one transaction; those a failed write held wait for the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var batch = new List<HostSynced>(_pending.Count);
            foreach (var (workerId, at) in _pending)
            {
                // Removed only if not kept again meanwhile; a newer time stays for the next flush.
                if (_pending.TryRemove(new KeyValuePair<Guid, DateTimeOffset>(workerId, at)))
                {
                    batch.Add(new HostSynced(workerId, at));
                }
            }
            try
            {
                await store.MarkHostsSyncedAsync(batch, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                PresenceLog.FlushFailed(logger, ex, batch.Count);
                foreach (var synced in batch)
                {
                    _pending.AddOrUpdate(synced.WorkerId, synced.At, (_, pending) => pending > synced.At ? pending : synced.At);
                }
            }
            // Pruned once a throttle period, not at every flush: the walk covers every host that synced lately.
            var now = time.GetUtcNow();
            if (now - _pruned >= Throttle)
            {
                _pruned = now;
                var stale = now - Throttle;
                foreach (var (workerId, kept) in _kept)
                {
                    if (kept < stale)
                    {
                        _kept.TryRemove(new KeyValuePair<Guid, DateTimeOffset>(workerId, kept));
                    }
                }
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What was kept since the last tick is written before the silo goes.
        await FlushAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }
}

using System.Collections.Concurrent;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Counts the bytes of jobs' blobs this silo serves to workers (the coordinator's share of relay) and hands each job's
/// count to its grain once a second, so that serving a chunk costs a dictionary update rather than a grain call.
/// </summary>
public sealed class RelayCounters(IGrainFactory grains, CoordinatorMetrics metrics, TimeProvider time, ILogger<RelayCounters> logger)
    : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, long> _coordinatorBytes = new();

    /// <summary>Counts <paramref name="bytes"/> of a job's blob served by this silo to a worker.</summary>
    public void CountCoordinatorBytes(Guid jobId, long bytes)
    {
        metrics.RelayCoordinatorBytes.Add(bytes);
        _coordinatorBytes.AddOrUpdate(jobId, bytes, (_, counted) => counted + bytes);
    }

    /// <summary>The bytes counted per job since the last take; each count is taken once.</summary>
    public IReadOnlyDictionary<Guid, long> Take()
    {
        var taken = new Dictionary<Guid, long>();
        foreach (var jobId in _coordinatorBytes.Keys)
        {
            if (_coordinatorBytes.TryRemove(jobId, out var bytes))
            {
                taken[jobId] = bytes;
            }
        }
        return taken;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Stopped before the silo: the last second's counts still reach their grains.
        await FlushAsync();
    }

    private async Task FlushAsync()
    {
        foreach (var (jobId, bytes) in Take())
        {
            try
            {
                await grains.Reference<IJobGrain>(jobId).CountRelayAsync(new JobRelay(CoordinatorBytes: bytes, 0, 0, 0, 0));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Counted again at the next flush rather than lost (the cluster may be between silos).
                _coordinatorBytes.AddOrUpdate(jobId, bytes, (_, counted) => counted + bytes);
                Log.RelayFlushFailed(logger, ex, jobId, bytes);
            }
        }
    }
}

using System.Diagnostics.Metrics;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Dashboard.Data.Overview;

namespace Volunteer.Coordinator.Dashboard.Overview;

/// <summary>
/// Results validated per second across the cluster. This silo counts the results judged valid on itself (the project's
/// meter, <see cref="CoordinatorMetrics.ResultsJudged"/> with verdict "valid", heard through a <see cref="MeterListener"/>),
/// and once a second hands its count to the cluster's statistics grain and takes back the cluster's sums of the seconds
/// it has not heard yet, which it keeps for the last hour. That is one grain call per silo per second, however many
/// people watch; a silo with nothing to tell and nobody watching it makes none.
/// </summary>
public sealed class ClusterResults : BackgroundService
{
    /// <summary>Judgements arrive in bursts (each job tells them at its lease sweep, every 5 s by default): a rate is averaged over this many seconds.</summary>
    public const int AveragedOverSeconds = 10;

    public static readonly TimeSpan ExchangeInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long after the last viewer this silo keeps fetching the cluster's sums when it has nothing to tell.</summary>
    public static readonly TimeSpan WatchedFor = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ClusterResults> _logger;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly SecondRing _cluster = new();
    private long _validated;
    private long _watchedAt = long.MinValue;
    private bool _failing;

    public ClusterResults(IMeterFactory meters, IGrainFactory grains, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<ClusterResults> logger)
    {
        _grains = grains;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
        // Only this silo's meter (its factory's): several silos in one process must not count each other's results.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == CoordinatorMetrics.MeterName
                && instrument.Name == CoordinatorMetrics.ResultsJudgedName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, count, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == CoordinatorMetrics.VerdictTag && tag.Value is CoordinatorMetrics.ValidVerdict)
                {
                    Interlocked.Add(ref _validated, count);
                    return;
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Someone watches the overview on this silo: fetch the cluster's sums every second even with nothing to tell.</summary>
    public void Watch() => Volatile.Write(ref _watchedAt, _time.GetTimestamp());

    /// <summary>The last hour's rates, each averaged over <see cref="AveragedOverSeconds"/>, up to the last second the cluster has summed.</summary>
    public ResultRates Rates()
    {
        lock (_lock)
        {
            if (_cluster.IsEmpty)
            {
                return ResultRates.None;
            }
            var (first, last) = (_cluster.FirstSecond, _cluster.LastSecond);
            var rates = new double[last - first + 1];
            long sum = 0;
            for (var second = first; second <= last; second++)
            {
                sum += _cluster[second];
                if (second - AveragedOverSeconds >= first)
                {
                    sum -= _cluster[second - AveragedOverSeconds];
                }
                // A second early in the hour has fewer seconds before it to average over.
                rates[second - first] = (double)sum / Math.Min(AveragedOverSeconds, second - first + 1);
            }
            return new ResultRates(first, rates, AveragedOverSeconds);
        }
    }

    /// <summary>Hands this silo's count since the last exchange to the cluster's grain and keeps the sums it answers with.</summary>
    public async Task ExchangeAsync()
    {
        var validated = Interlocked.Exchange(ref _validated, 0);
        if (validated == 0 && _time.GetElapsedTime(Volatile.Read(ref _watchedAt)) > WatchedFor)
        {
            return;
        }
        long after;
        lock (_lock)
        {
            after = _cluster.LastSecond;
        }
        try
        {
            var sums = await _grains.Reference<IClusterStatisticsGrain>(0).ExchangeAsync(validated, after);
            lock (_lock)
            {
                _cluster.Set(sums);
            }
            _failing = false;
        }
        catch (Exception ex)
        {
            // Told again with the next exchange, so no result goes uncounted while the grain is unreachable.
            Interlocked.Add(ref _validated, validated);
            if (!_failing)
            {
                _failing = true;
                OverviewLog.ExchangeFailed(_logger, ex);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The silo is up once the application has started: no grain call before then.
        var started = new TaskCompletionSource();
        await using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        using var timer = new PeriodicTimer(ExchangeInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ExchangeAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }
}

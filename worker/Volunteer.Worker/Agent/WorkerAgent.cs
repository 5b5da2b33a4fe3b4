using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The sync loop: report finished replicas and ask for work in one round trip, compute up to
/// <see cref="WorkerOptions.Slots"/> units at once, and keep every lease and report on disk until
/// the coordinator has acknowledged it. Each sync also carries what the agent does as a peer
/// (<see cref="PeerNode"/>), and each answer directs it. What it is doing goes to the status file every
/// <see cref="WorkerOptions.StatusInterval"/>.
/// </summary>
public sealed class WorkerAgent(
    IOptions<WorkerOptions> options,
    WorkerIdentity identity,
    ECDsa key,
    WorkFolder folder,
    UnitRunner runner,
    CoordinatorClient coordinator,
    CoordinatorLimits limits,
    PeerNode peers,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerAgent> logger) : BackgroundService
{
    private readonly WorkerOptions _settings = options.Value;
    private readonly ConcurrentDictionary<ReplicaRef, RunningUnit> _running = new();
    private readonly SemaphoreSlim _wake = new(0);
    private volatile SyncSummary? _lastSync;

    private enum NextSync
    {
        AtOnce,
        WhenIdle,
        Never,
    }

    /// <summary>True once the coordinator has said it does not recognise this worker; the agent has then stopped by itself.</summary>
    public bool Detached { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Started(logger, identity.WorkerId, _settings.Slots, string.Join(", ", identity.Coordinators));
        // Stops the loop, the units and the status file's updates, whether the host stops or the worker turns out detached.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await peers.StartAsync(stopping.Token);
        foreach (var leased in folder.LeasedUnits())
        {
            Start(leased, stopping.Token);
        }
        var statusUpdates = WriteStatusPeriodicallyAsync(stopping.Token);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var next = await SyncOnceAsync(stopping.Token);
                if (next == NextSync.Never)
                {
                    Detached = true;
                    await stopping.CancelAsync();
                    lifetime.StopApplication();
                    break;
                }
                if (next == NextSync.WhenIdle)
                {
                    // Wake early when a unit finishes: its report should go up and a slot is free.
                    await _wake.WaitAsync(_settings.IdleSyncInterval, stopping.Token);
                }
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        // Units stop at their next checkpoint; their leases stay in the inbox for the next run.
        await Task.WhenAll(_running.Values.Select(u => u.Completion));
        await peers.StopAsync();
        await statusUpdates;
        WriteStatus();
        Log.Stopped(logger, folder.Count().Leased);
    }

    private async Task<NextSync> SyncOnceAsync(CancellationToken stoppingToken)
    {
        var told = limits.Current;
        // Running units first: one that finishes meanwhile is then among the pending reports read next, so nothing held is missed.
        var running = _running.Keys.ToList();
        var pending = folder.PendingReports();
        // The coordinator takes one job's reports per sync (each job accepts all of its reports or none).
        var reports = pending.Where(r => r.JobId == pending[0].JobId).Take(told.MaxReportsPerSync).ToList();
        var free = Math.Clamp(_settings.Slots - running.Count, 0, told.MaxUnitsPerSync);
        // Everything held counts, reports that wait for a later sync included, or the coordinator would resend them.
        var held = running.Concat(pending.Select(r => r.Ref)).Except(reports.Select(r => r.Ref)).ToList();
        // A list cut short would say the rest were lost and have them resent; null ("not told") resends nothing.
        var inProgress = held.Count <= told.MaxInProgress ? held : null;
        var peer = peers.ForSync(told, reports.Count);
        var request = new SyncRequest(reports, inProgress, free,
            reports.Count > 0 ? ReportSignature.Sign(key, identity.WorkerId, reports) : null,
            peer.Advert,
            peer.Relayed.Count > 0 ? [.. peer.Relayed.Select(b => b.Reports)] : null,
            peer.Transfers.Count > 0 ? peer.Transfers : null);
        var outcome = await coordinator.SyncAsync(request, stoppingToken);
        // Recorded before it is acted on, so that the status never shows an answer's effects without the answer.
        _lastSync = new(timeProvider.GetUtcNow(), outcome switch
        {
            SyncOutcome.Accepted { Response: var response } =>
                $"accepted: {reports.Count} report(s) acknowledged, {response.Assignments.Count} unit(s) leased, {response.Cancelled.Count} cancelled",
            SyncOutcome.ReportsRefused { Refused: var refused } => $"{refused.Count} report(s) refused",
            SyncOutcome.NotAttached { Status: var status, Detail: var detail } => $"this worker is not recognised (HTTP {(int)status}): {detail}",
            SyncOutcome.Rejected { Status: var status, Detail: var detail } => $"rejected (HTTP {(int)status}): {detail}",
            _ => throw new UnreachableException($"Unknown sync outcome {outcome}."),
        });
        switch (outcome)
        {
            case SyncOutcome.Accepted { Response: var response }:
                limits.Current = response.Limits;
                foreach (var report in reports)
                {
                    folder.Acknowledged(report.Ref);
                    Log.ReportAcknowledged(logger, report.JobId, report.UnitIndex, report.Replica, report.Outcome);
                }
                peers.Answered(peer, response);
                foreach (var cancelled in response.Cancelled)
                {
                    peers.ResultDropped(cancelled);
                    if (_running.TryGetValue(cancelled, out var unit))
                    {
                        Log.UnitCancelled(logger, cancelled.JobId, cancelled.UnitIndex, cancelled.Replica);
                        unit.CancelledByCoordinator = true;
                        await unit.Cancellation.CancelAsync();
                    }
                }
                foreach (var assignment in response.Assignments)
                {
                    folder.Lease(assignment);
                    Start(assignment, stoppingToken);
                }
                return reports.Count < pending.Count ? NextSync.AtOnce : NextSync.WhenIdle;
            case SyncOutcome.ReportsRefused { Refused: var refused }:
                foreach (var refusal in refused)
                {
                    // A refusal is final (already reported, lease expired, cancelled…): keeping the report would only repeat it.
                    Log.ReportRefused(logger, refusal.Replica.JobId, refusal.Replica.UnitIndex, refusal.Replica.Replica, refusal.Reason);
                    folder.Acknowledged(refusal.Replica);
                    peers.ResultDropped(refusal.Replica);
                }
                return NextSync.AtOnce;
            case SyncOutcome.NotAttached { Status: var status, Detail: var detail }:
                Log.NotAttached(logger, identity.WorkerId, (int)status, detail);
                return NextSync.Never;
            case SyncOutcome.Rejected { Status: var status, Detail: var detail }:
                Log.SyncRejected(logger, (int)status, detail);
                // Other workers' bundles must never hold this worker's own reports back; their origins still hold them.
                peers.Rejected(peer);
                return NextSync.WhenIdle;
            default:
                throw new UnreachableException($"Unknown sync outcome {outcome}.");
        }
    }

    private void Start(Assignment assignment, CancellationToken stoppingToken)
    {
        var unit = new RunningUnit(assignment, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
        if (!_running.TryAdd(assignment.Ref, unit))
        {
            unit.Cancellation.Dispose();
            return;
        }
        peers.Leased(assignment);
        Log.UnitStarted(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, assignment.App);
        unit.Completion = Task.Run(() => RunAsync(unit), CancellationToken.None);
    }

    private async Task RunAsync(RunningUnit unit)
    {
        var assignment = unit.Assignment;
        try
        {
            var report = await runner.RunAsync(assignment, unit.Run, unit.Cancellation.Token);
            folder.Finish(report);
            peers.LeaseEnded(assignment.Ref);
            Log.UnitFinished(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, report.Outcome);
        }
        catch (OperationCanceledException)
        {
            if (unit.CancelledByCoordinator)
            {
                folder.Forget(assignment.Ref);
                peers.LeaseEnded(assignment.Ref);
            }
        }
        catch (Exception ex)
        {
            Log.UnitCrashed(logger, ex, assignment.JobId, assignment.UnitIndex, assignment.Replica);
        }
        finally
        {
            _running.TryRemove(assignment.Ref, out _);
            unit.Cancellation.Dispose();
            _wake.Release();
        }
    }

    private async Task WriteStatusPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.StatusInterval, timeProvider);
        try
        {
            do
            {
                WriteStatus();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void WriteStatus()
    {
        var status = new WorkerStatus(
            timeProvider.GetUtcNow(),
            _settings.Slots,
            [.. _running.Values.Select(u => u.Progress).OrderBy(p => p.JobId).ThenBy(p => p.UnitIndex).ThenBy(p => p.Replica)],
            folder.PendingReportCount,
            _lastSync)
        {
            Peer = peers.Status(),
        };
        try
        {
            status.Save(_settings.StateDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The status file only informs the volunteer; the work goes on without it.
            Log.StatusNotWritten(logger, ex, WorkerStatus.PathIn(_settings.StateDirectory));
        }
    }

    /// <summary>A unit being computed; the app's progress reports and checkpoints land in its <see cref="Run"/>.</summary>
    private sealed class RunningUnit(Assignment assignment, CancellationTokenSource cancellation)
    {
        public Assignment Assignment { get; } = assignment;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public volatile bool CancelledByCoordinator;

        public Task Completion { get; set; } = Task.CompletedTask;

        public UnitRun Run { get; } = new();

        public UnitProgress Progress =>
            new(Assignment.JobId, Assignment.UnitIndex, Assignment.Replica, Assignment.App, Run.FractionDone)
            {
                ResumedFrom = Run.ResumedFrom,
                FirstProgress = Run.FirstProgress,
                CheckpointFraction = Run.CheckpointFraction,
                LastCheckpointAt = Run.LastCheckpointAt,
            };
    }
}

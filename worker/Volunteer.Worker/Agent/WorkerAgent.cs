using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Storage;
using Volunteer.Apps;
using Volunteer.Protocol;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The sync loop: report finished replicas and ask for work in one round trip, compute up to
/// <see cref="WorkerOptions.Slots"/> units at once, and keep every lease and report on disk until
/// the coordinator has acknowledged it.
/// </summary>
public sealed class WorkerAgent(
    IOptions<WorkerOptions> options,
    CoordinatorClient coordinator,
    ScienceAppCatalog apps,
    ILogger<WorkerAgent> logger) : BackgroundService
{
    private const int MaxReportsPerSync = 256;

    private readonly ConcurrentDictionary<ReplicaRef, RunningUnit> _running = new();
    private readonly SemaphoreSlim _wake = new(0);
    private WorkFolder _folder = null!;
    private UnitRunner _runner = null!;
    private WorkerIdentity _identity = null!;
    private ECDsa _key = null!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _identity = WorkerIdentity.Load(settings.StateDirectory)
            ?? throw new InvalidOperationException($"This worker is not attached (no identity in {settings.StateDirectory}); run 'attach URL' first.");
        _key = _identity.LoadKey();
        _folder = new WorkFolder(settings.StateDirectory);
        _runner = new UnitRunner(apps, _folder, settings.InlinePayloadLimit);
        coordinator.UseCoordinators(_identity.Coordinators);
        Log.Started(logger, _identity.WorkerId, settings.Slots, string.Join(", ", _identity.Coordinators));

        foreach (var leased in _folder.LeasedUnits())
        {
            Start(leased, stoppingToken);
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var again = await SyncOnceAsync(settings.Slots, stoppingToken);
                if (!again)
                {
                    // Wake early when a unit finishes: its report should go up and a slot is free.
                    await _wake.WaitAsync(settings.IdleSyncInterval, stoppingToken);
                }
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Units stop at their next checkpoint; their leases stay in the inbox for the next run.
        await Task.WhenAll(_running.Values.Select(u => u.Completion));
        Log.Stopped(logger, _running.Count);
    }

    /// <summary>One round trip. True when another should follow at once.</summary>
    private async Task<bool> SyncOnceAsync(int slots, CancellationToken stoppingToken)
    {
        // Running units first: one that finishes meanwhile is then in the outbox read next, so nothing held is missed.
        var running = _running.Keys.ToList();
        var pending = _folder.PendingReports(int.MaxValue);
        // The coordinator takes one job's reports per sync (each job accepts all of its reports or none).
        var reports = pending.Where(r => r.JobId == pending[0].JobId).Take(MaxReportsPerSync).ToList();
        var free = Math.Max(0, slots - running.Count);
        // Everything held counts, reports that wait for a later sync included, or the coordinator would resend them.
        var held = running.Concat(pending.Select(r => r.Ref)).Except(reports.Select(r => r.Ref)).ToList();
        var request = new SyncRequest(reports, held, free,
            reports.Count > 0 ? ReportSignature.Sign(_key, _identity.WorkerId, reports) : null);
        var outcome = await coordinator.SyncAsync(_identity.Token, request, stoppingToken);
        switch (outcome)
        {
            case SyncOutcome.Accepted accepted:
                foreach (var report in reports)
                {
                    _folder.Acknowledged(report.Ref);
                    Log.ReportAcknowledged(logger, report.JobId, report.UnitIndex, report.Replica, report.Outcome);
                }
                foreach (var cancelled in accepted.Response.Cancelled)
                {
                    if (_running.TryGetValue(cancelled, out var unit))
                    {
                        Log.UnitCancelled(logger, cancelled.JobId, cancelled.UnitIndex, cancelled.Replica);
                        unit.CancelledByCoordinator = true;
                        await unit.Cancellation.CancelAsync();
                    }
                }
                foreach (var assignment in accepted.Response.Assignments)
                {
                    _folder.Lease(assignment);
                    Start(assignment, stoppingToken);
                }
                return reports.Count < pending.Count;
            case SyncOutcome.ReportsRefused refused:
                foreach (var refusal in refused.Refused)
                {
                    // A refusal is final (already reported, lease expired, cancelled…): keeping the report would only repeat it.
                    Log.ReportRefused(logger, refusal.Replica.JobId, refusal.Replica.UnitIndex, refusal.Replica.Replica, refusal.Reason);
                    _folder.Acknowledged(refusal.Replica);
                }
                return true;
            case SyncOutcome.Rejected rejected:
                Log.SyncRejected(logger, (int)rejected.Status, rejected.Detail);
                return false;
        }
        return false;
    }

    private void Start(Assignment assignment, CancellationToken stoppingToken)
    {
        var unit = new RunningUnit(CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
        if (!_running.TryAdd(assignment.Ref, unit))
        {
            return;
        }
        Log.UnitStarted(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, assignment.App);
        unit.Completion = Task.Run(() => RunAsync(assignment, unit), CancellationToken.None);
    }

    private async Task RunAsync(Assignment assignment, RunningUnit unit)
    {
        try
        {
            var report = await _runner.RunAsync(assignment, unit.Cancellation.Token);
            _folder.Finish(report);
            Log.UnitFinished(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, report.Outcome);
        }
        catch (OperationCanceledException)
        {
            if (unit.CancelledByCoordinator)
            {
                _folder.Forget(assignment.Ref);
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

    private sealed class RunningUnit(CancellationTokenSource cancellation)
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;

        public volatile bool CancelledByCoordinator;

        public Task Completion { get; set; } = Task.CompletedTask;
    }
}

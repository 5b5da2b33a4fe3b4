using System.Text.Json;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Agent;

/// <summary>
/// One attached project's sync loop: report finished replicas and ask for work in one round trip, keep a buffer of
/// leased units queued locally (<see cref="WorkBuffer"/>), compute them in the machine's slots as the
/// <see cref="SlotPool"/> gives them (each on a thread of its own, held by the <see cref="ComputeGovernor"/>), and keep
/// every lease and report on disk until the coordinator has acknowledged it. Each sync also carries what the agent
/// does as a peer (<see cref="PeerNode"/>), and each answer directs it. What it is doing goes to the status file every
/// <see cref="WorkerOptions.StatusInterval"/>. When stopped, its units checkpoint and one last sync, bounded in time,
/// sends what finished.
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
    ComputeGovernor governor,
    SlotPool pool,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerAgent> logger) : BackgroundService
{
    /// <summary>A unit that computed longer than this has its report written at once; a shorter one's waits for the next sync.</summary>
    public static readonly TimeSpan LongUnit = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopping agent waits for its units to checkpoint and stop.</summary>
    public static readonly TimeSpan UnitsStopBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>How often the agent asks its project what this host has earned, for the owner's view (credit is granted
    /// as results validate, after their reports are acknowledged, so the sync answer cannot say it).</summary>
    public static readonly TimeSpan CreditRefresh = TimeSpan.FromMinutes(1);

    /// <summary>How long a stopping agent's last sync may take; what it could not send stays in the outbox.</summary>
    public static readonly TimeSpan LastSyncBudget = TimeSpan.FromSeconds(2);

    private readonly WorkerOptions _settings = options.Value;
    private readonly ConcurrentDictionary<ReplicaRef, HeldUnit> _held = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly WorkBuffer _buffer = new();
    private readonly SlotPool.Member _member = pool.Join(ProjectFolders.NameOf(identity.Coordinators[0]), identity.ResourceShare);
    private volatile SyncSummary? _lastSync;
    private readonly AgentUpdates _updates = new(logger);
    private volatile CreditSummary? _credit;
    private long _creditAskedAt;
    private Task _creditFetch = Task.CompletedTask;

    private enum NextSync
    {
        AtOnce,
        WhenIdle,
        Never,
    }

    /// <summary>True once the coordinator has said it does not recognise this worker; the agent has then stopped by itself.</summary>
    public bool Detached { get; private set; }

    /// <summary>The project's name: its folder under projects/.</summary>
    public string Project => _member.Project;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentLog.ProjectStarted(logger, Project, identity.WorkerId, identity.ResourceShare, pool.Slots, string.Join(", ", identity.Coordinators));
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
                var next = await SyncOnceAsync(askForWork: true, stopping.Token);
                if (next == NextSync.Never)
                {
                    Detached = true;
                    await stopping.CancelAsync();
                    lifetime.StopApplication();
                    break;
                }
                if (next == NextSync.WhenIdle)
                {
                    // Wake early when a unit finishes: its report should go up and the buffer may want topping up.
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
        // Units stop at their next checkpoint; their leases stay in the inbox for the next run. One that does not
        // stop in time is left to the process's end: its last checkpoint is on disk.
        var units = Task.WhenAll(_held.Values.Select(u => u.Completion));
        if (await Task.WhenAny(units, Task.Delay(UnitsStopBudget, CancellationToken.None)) != units)
        {
            AgentLog.UnitsNotStopped(logger, Project, _held.Count, UnitsStopBudget);
        }
        if (!Detached)
        {
            await SendFinishedAsync();
        }
        await peers.StopAsync();
        await statusUpdates;
        WriteStatus();
        Log.Stopped(logger, folder.Count().Leased);
    }

    /// <summary>What the agent holds for its project now, as the control socket shows it.</summary>
    public (ProjectSnapshot Project, IReadOnlyList<UnitSnapshot> Units) Snapshot()
    {
        var now = timeProvider.GetTimestamp();
        var units = _held.Values.Select(u => u.Snapshot(Project, now, timeProvider))
            .OrderBy(u => u.Phase == UnitPhase.Waiting).ThenBy(u => u.JobId).ThenBy(u => u.UnitIndex).ThenBy(u => u.Replica).ToList();
        var project = new ProjectSnapshot(
            Project, identity.Coordinators, identity.WorkerId, identity.AccountId, identity.ResourceShare, _lastSync,
            folder.PendingReportCount, units.Count(u => u.Phase == UnitPhase.Waiting), _credit?.Total, _updates.Latest, peers.Status());
        return (project, units);
    }

    /// <summary>Starts a fetch of this host's credit from the account's public view, at most once a <see cref="CreditRefresh"/>.</summary>
    private void AskForCredit(CancellationToken stoppingToken)
    {
        if (identity.AccountId is not { } account || !_creditFetch.IsCompleted
            || (_creditAskedAt != 0 && timeProvider.GetElapsedTime(_creditAskedAt) < CreditRefresh))
        {
            return;
        }
        _creditAskedAt = timeProvider.GetTimestamp();
        _creditFetch = FetchCreditAsync(account, stoppingToken);
    }

    private async Task FetchCreditAsync(Guid account, CancellationToken stoppingToken)
    {
        try
        {
            var view = await coordinator.GetAccountAsync(account, stoppingToken);
            _credit = view.Hosts.FirstOrDefault(h => h.WorkerId == identity.WorkerId)?.Credit;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or JsonException or OperationCanceledException)
        {
            // Only the owner's view waits on it; it keeps the last figure until the next try.
        }
    }

    /// <summary>One last sync, bounded in time, that sends the reports finished before the agent stopped.</summary>
    private async Task SendFinishedAsync()
    {
        if (folder.PendingReportCount == 0)
        {
            return;
        }
        using var bounded = new CancellationTokenSource(LastSyncBudget);
        try
        {
            await SyncOnceAsync(askForWork: false, bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            AgentLog.LastSyncUnfinished(logger, Project, folder.PendingReportCount);
        }
    }

    private async Task<NextSync> SyncOnceAsync(bool askForWork, CancellationToken stoppingToken)
    {
        var told = limits.Current;
        // Held units first: one that finishes meanwhile is then among the pending reports read next, so nothing held is missed.
        var held = _held.Values.ToList();
        // Every report a sync carries is on disk first (those of short units are written now, together).
        var pending = folder.PendingReports();
        // The coordinator takes one job's reports per sync (each job accepts all of its reports or none).
        var reports = pending.Where(r => r.JobId == pending[0].JobId).Take(told.MaxReportsPerSync).ToList();
        var asked = askForWork
            ? _buffer.UnitsToAsk([.. held.Select(u => u.Work)], pending.Count - reports.Count, pool.Slots, _member.SlotShare, governor.Limits, told)
            : 0;
        // Everything held counts, queued leases and reports that wait for a later sync included, or the coordinator would resend them.
        var holding = held.Select(u => u.Assignment.Ref).Concat(pending.Select(r => r.Ref)).Except(reports.Select(r => r.Ref)).ToList();
        // A list cut short would say the rest were lost and have them resent; null ("not told") resends nothing.
        var inProgress = holding.Count <= told.MaxInProgress ? holding : null;
        var peer = peers.ForSync(told, reports.Count);
        var request = new SyncRequest(reports, inProgress, asked,
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
                _updates.Observe(response);
                AskForCredit(stoppingToken);
                limits.Current = response.Limits;
                // The answer's leases are on disk, and the acknowledged reports gone, in one write, before any new unit starts.
                IReadOnlyList<Assignment> leased = askForWork ? response.Assignments : [];
                folder.Settle([.. reports.Select(r => r.Ref)], leased);
                foreach (var report in reports)
                {
                    Log.ReportAcknowledged(logger, report.JobId, report.UnitIndex, report.Replica, report.Outcome);
                }
                peers.Answered(peer, response);
                foreach (var cancelled in response.Cancelled)
                {
                    peers.ResultDropped(cancelled);
                    if (_held.TryGetValue(cancelled, out var unit))
                    {
                        Log.UnitCancelled(logger, cancelled.JobId, cancelled.UnitIndex, cancelled.Replica);
                        unit.CancelledByCoordinator = true;
                        await unit.Cancellation.CancelAsync();
                    }
                }
                foreach (var assignment in leased)
                {
                    Start(assignment, stoppingToken);
                }
                return reports.Count < pending.Count ? NextSync.AtOnce : NextSync.WhenIdle;
            case SyncOutcome.ReportsRefused { Refused: var refused }:
                // A refusal is final (already reported, lease expired, cancelled…): keeping the report would only repeat it.
                folder.Settle([.. refused.Select(r => r.Replica)], []);
                foreach (var refusal in refused)
                {
                    Log.ReportRefused(logger, refusal.Replica.JobId, refusal.Replica.UnitIndex, refusal.Replica.Replica, refusal.Reason);
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

    /// <summary>Holds a leased unit: it waits for a slot, then computes.</summary>
    private void Start(Assignment assignment, CancellationToken stoppingToken)
    {
        var unit = new HeldUnit(assignment, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
        if (!_held.TryAdd(assignment.Ref, unit))
        {
            unit.Cancellation.Dispose();
            return;
        }
        peers.Leased(assignment);
        unit.Completion = RunAsync(unit);
    }

    private async Task RunAsync(HeldUnit unit)
    {
        var assignment = unit.Assignment;
        var cancellationToken = unit.Cancellation.Token;
        try
        {
            using var slot = await pool.AcquireAsync(_member, cancellationToken);
            var started = timeProvider.GetTimestamp();
            unit.Began(started);
            Log.UnitStarted(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, assignment.App);
            // A thread of its own, not the pool's: the governor's gate blocks and sleeps on it.
            var report = await Task.Factory.StartNew(
                () => runner.RunAsync(assignment, unit.Run, cancellationToken).GetAwaiter().GetResult(),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var took = timeProvider.GetElapsedTime(started);
            _buffer.Computed(assignment.App, took);
            folder.Finish(report, keepInMemory: took < LongUnit);
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
            _held.TryRemove(assignment.Ref, out _);
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
            pool.Slots,
            [.. _held.Values.Where(u => u.Computing).Select(u => u.Progress).OrderBy(p => p.JobId).ThenBy(p => p.UnitIndex).ThenBy(p => p.Replica)],
            folder.PendingReportCount,
            _lastSync)
        {
            Peer = peers.Status(),
            Buffered = _held.Values.Count(u => !u.Computing),
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

    /// <summary>
    /// A leased unit the agent holds: waiting for a slot, then computing. The app's progress reports and checkpoints
    /// land in its <see cref="Run"/>, whose gate (once it computes) says whether a pause holds it and what CPU it used.
    /// </summary>
    private sealed class HeldUnit(Assignment assignment, CancellationTokenSource cancellation)
    {
        private long _startedAt;
        private volatile bool _computing;

        public Assignment Assignment { get; } = assignment;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public volatile bool CancelledByCoordinator;

        public Task Completion { get; set; } = Task.CompletedTask;

        public UnitRun Run { get; } = new();

        public bool Computing => _computing;

        public HeldWork Work => new(Assignment.App, Run.FractionDone);

        public UnitProgress Progress =>
            new(Assignment.JobId, Assignment.UnitIndex, Assignment.Replica, Assignment.App, Run.FractionDone)
            {
                ResumedFrom = Run.ResumedFrom,
                FirstProgress = Run.FirstProgress,
                CheckpointFraction = Run.CheckpointFraction,
                LastCheckpointAt = Run.LastCheckpointAt,
            };

        public void Began(long startedAt)
        {
            Volatile.Write(ref _startedAt, startedAt);
            _computing = true;
        }

        public UnitSnapshot Snapshot(string project, long now, TimeProvider time)
        {
            var computing = _computing;
            var gate = Run.Gate;
            var fraction = Run.FractionDone;
            var elapsed = computing ? time.GetElapsedTime(Volatile.Read(ref _startedAt), now) : TimeSpan.Zero;
            // The rate of this run so far, carried to the end: nothing to go on before it has moved past where it resumed.
            var done = fraction - (Run.ResumedFrom ?? 0);
            TimeSpan? remaining = computing && done > 0 ? elapsed * ((1 - fraction) / done) : null;
            var phase = !computing ? UnitPhase.Waiting : gate?.Paused == true ? UnitPhase.Paused : UnitPhase.Running;
            return new UnitSnapshot(project, Assignment.JobId, Assignment.UnitIndex, Assignment.Replica, Assignment.App, phase, fraction,
                Run.ResumedFrom, elapsed, remaining, gate?.CpuSeconds ?? 0, gate?.ThreadId, Run.LastCheckpointAt, Run.CheckpointFraction);
        }
    }
}

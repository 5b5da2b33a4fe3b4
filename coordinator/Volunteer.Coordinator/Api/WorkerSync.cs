using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// One sync round trip (BOINC's scheduler RPC): checks and commits the worker's reports, tells it
/// which replicas to drop, and leases new work from the running jobs in priority order. Each job's
/// grain is called at most once per sync; a sync with any bad report is refused whole and changes nothing.
/// </summary>
public sealed class WorkerSync(IGrainFactory grains, RunningJobs runningJobs, IOptions<VolunteerOptions> options, CoordinatorMetrics metrics)
{
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(AttachedWorker worker, SyncRequest request)
    {
        var limits = options.Value.SyncLimits;
        var (results, problem) = SyncRequestRules.Check(request, limits);
        if (results is null)
        {
            return problem!;
        }
        var reports = request.Reports ?? [];
        if (reports.Count > 0 && !ReportSignature.Verify(worker.PublicKey, worker.Id, reports, request.Signature))
        {
            return Refuse(results.Select(r => new RefusedReport(r.Replica, ReportVerdict.BadSignature)).ToList());
        }

        var heldByJob = request.InProgress?.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<ReplicaRef>)g.ToList());
        IReadOnlyList<ReplicaRef>? HeldOf(Guid jobId) => heldByJob is null ? null : heldByJob.GetValueOrDefault(jobId, []);
        IReadOnlyList<RunningJob> running = request.RequestUnits > 0 || heldByJob is { Count: > 0 } ? await runningJobs.GetAsync() : [];
        var called = new HashSet<Guid>();
        var cancelled = new List<ReplicaRef>();
        var assignments = new List<Assignment>();

        Task<JobSyncOutcome> CallAsync(Guid jobId, IReadOnlyList<ReplicaResult> jobResults, int wanted)
        {
            called.Add(jobId);
            return grains.GetGrain<IJobGrain>(jobId).SyncAsync(worker.Id, new JobSync(jobResults, HeldOf(jobId), wanted));
        }
        void Take(JobSyncOutcome outcome)
        {
            cancelled.AddRange(outcome.Cancelled);
            assignments.AddRange(outcome.Leases.Select(lease => AssignmentOf(outcome.App, lease)));
        }

        // The reports' job first, alone: until it has accepted them no other job may lease, or a refused
        // sync would hand out work. It leases too when it is first in line, as in the common sync.
        if (results.Count > 0)
        {
            var jobId = results[0].Replica.JobId;
            var firstInLine = running.Count > 0 && running[0].JobId == jobId;
            var outcome = await CallAsync(jobId, results, firstInLine ? request.RequestUnits : 0);
            if (outcome.Refused.Count > 0)
            {
                return Refuse(outcome.Refused);
            }
            Take(outcome);
        }
        // Then the jobs in line, one after another, each once, until the worker has what it asked for.
        foreach (var job in running)
        {
            if (assignments.Count >= request.RequestUnits)
            {
                break;
            }
            if (!called.Contains(job.JobId))
            {
                Take(await CallAsync(job.JobId, [], request.RequestUnits - assignments.Count));
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
        var outcomes = await Task.WhenAll(uncalled.Where(stillRunning.Contains).Select(job => CallAsync(job, [], 0)));
        foreach (var outcome in outcomes)
        {
            Take(outcome);
        }
        return TypedResults.Ok(new SyncResponse(reports.Count, assignments, cancelled, limits));
    }

    private static Assignment AssignmentOf(string app, ReplicaLease lease)
    {
        using var input = JsonDocument.Parse(lease.Input);
        return new Assignment(lease.JobId, lease.UnitIndex, lease.Replica, app, input.RootElement.Clone(), lease.Deadline);
    }

    private ProblemHttpResult Refuse(IReadOnlyList<RefusedReport> refused)
    {
        foreach (var refusal in refused)
        {
            metrics.CountRefusal(refusal.Verdict);
        }
        // Reports of another worker's replica or forged ones are forbidden; late, cancelled or replayed ones conflict with state.
        var forbidden = refused.Any(r => r.Verdict is ReportVerdict.NotLeasedToWorker or ReportVerdict.BadSignature);
        var first = refused[0];
        return TypedResults.Problem(
            detail: $"{refused.Count} report(s) refused; nothing in this sync was applied. " +
                    $"First: job {first.Replica.JobId} unit {first.Replica.UnitIndex} replica {first.Replica.Replica}: {first.Verdict.Describe()}",
            statusCode: forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status409Conflict,
            title: "Reports refused.",
            extensions: new Dictionary<string, object?>
            {
                ["refused"] = refused.Select(r => new ReportRefusal(r.Replica, r.Verdict.ToString(), r.Verdict.Describe())).ToList(),
            });
    }
}

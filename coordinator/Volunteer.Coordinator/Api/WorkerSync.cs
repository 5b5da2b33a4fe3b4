using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Hosting;
using Volunteer.Coordinator.Scheduling;
using Volunteer.WorkUnits.Integrity;
using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// One sync round trip (BOINC's scheduler RPC): checks and commits the worker's reports, tells it
/// which replicas to drop, and leases new work from the running jobs in priority order. A sync with
/// any bad report is refused whole and changes nothing.
/// </summary>
public sealed class WorkerSync(IGrainFactory grains, RunningJobs runningJobs, IOptions<VolunteerOptions> options, CoordinatorMetrics metrics)
{
    public const int MaxInProgress = 4096;
    public const int MaxErrorLength = 4096;

    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(AttachedWorker worker, SyncRequest request)
    {
        var reports = request.Reports ?? [];
        var inProgress = request.InProgress ?? [];
        if (CheckShape(request, reports, inProgress) is { } shapeProblem)
        {
            return shapeProblem;
        }

        if (reports.Count > 0 && !ReportSignature.Verify(worker.PublicKey, worker.Id, reports, request.Signature))
        {
            return Refuse(reports.Select(r => new RefusedReport(r.Ref, ReportVerdict.BadSignature)).ToList(), 0);
        }

        var reportsByJob = reports.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<ReplicaReport>)g.ToList());
        var heldByJob = request.InProgress?.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<ReplicaRef>)g.ToList());
        IReadOnlyList<ReplicaRef>? HeldOf(Guid jobId) => heldByJob is null ? null : heldByJob.GetValueOrDefault(jobId, []);
        var touched = reportsByJob.Keys.Union(heldByJob?.Keys ?? Enumerable.Empty<Guid>()).ToList();
        if (reportsByJob.Count > 1)
        {
            // One job's grain accepts all of its reports or none, so only a sync spanning several jobs
            // needs every share judged before any is applied for a refused sync to change nothing.
            var judged = await Task.WhenAll(reportsByJob.Select(job =>
                grains.GetGrain<IJobGrain>(job.Key).JudgeReportsAsync(worker.Id, job.Value.Select(r => r.Ref).ToList())));
            var refusedAny = judged.SelectMany(r => r).ToList();
            if (refusedAny.Count > 0)
            {
                return Refuse(refusedAny, 0);
            }
        }

        IReadOnlyList<RunningJob> running = request.RequestUnits > 0 ? await runningJobs.GetAsync() : [];
        // The common sync touches one job, the one first in line for work: then reports, cancellations
        // and new leases are one grain call and one commit. Leasing from a job while another job's
        // reports might still be refused would hand out work in a refused sync, so it waits otherwise.
        var firstInLine = running.Count > 0 ? running[0].JobId : (Guid?)null;
        var leasesWithReports = touched.Count == 0 || (touched.Count == 1 && touched[0] == firstInLine) ? firstInLine : null;
        var calls = leasesWithReports is { } leasing ? touched.Union([leasing]).ToList() : touched;
        var outcomes = await Task.WhenAll(calls.Select(job => grains.GetGrain<IJobGrain>(job).SyncAsync(worker.Id,
            new JobSync(reportsByJob.GetValueOrDefault(job, []), HeldOf(job), job == leasesWithReports ? request.RequestUnits : 0))));
        var refused = outcomes.SelectMany(o => o.Refused).ToList();
        if (refused.Count > 0)
        {
            // With several jobs, only a race (a lease expiring between judging and applying) can refuse
            // a report here; the jobs that accepted theirs have committed them.
            var applied = calls.Where((_, i) => outcomes[i].Refused.Count == 0).Sum(job => reportsByJob.GetValueOrDefault(job, []).Count);
            return Refuse(refused, applied);
        }

        var cancelled = outcomes.SelectMany(o => o.Cancelled).ToList();
        var assignments = outcomes.SelectMany(o => o.Assignments).ToList();
        foreach (var job in running)
        {
            if (assignments.Count == request.RequestUnits)
            {
                break;
            }
            if (job.JobId != leasesWithReports)
            {
                var more = await grains.GetGrain<IJobGrain>(job.JobId).SyncAsync(worker.Id,
                    new JobSync([], HeldOf(job.JobId), request.RequestUnits - assignments.Count));
                assignments.AddRange(more.Assignments);
            }
        }
        return TypedResults.Ok(new SyncResponse(reports.Count, assignments, cancelled));
    }

    private ProblemHttpResult? CheckShape(SyncRequest request, IReadOnlyList<ReplicaReport> reports, IReadOnlyList<ReplicaRef> inProgress)
    {
        var limits = options.Value;
        if (request.RequestUnits < 0 || request.RequestUnits > limits.MaxUnitsPerSync)
        {
            return Problems.BadRequest($"'requestUnits' must be between 0 and {limits.MaxUnitsPerSync}.");
        }
        if (reports.Count > limits.MaxReportsPerSync)
        {
            return Problems.BadRequest($"At most {limits.MaxReportsPerSync} reports fit in one sync.");
        }
        if (inProgress.Count > MaxInProgress)
        {
            return Problems.BadRequest($"At most {MaxInProgress} in-progress replicas fit in one sync.");
        }
        if (reports.Any(r => r is null) || inProgress.Any(r => r is null))
        {
            return Problems.BadRequest("'reports' and 'inProgress' must not contain null entries.");
        }
        if (reports.Count > 0 && string.IsNullOrEmpty(request.Signature))
        {
            return Problems.BadRequest("'signature' is required: the worker signs the reports it sends, all of them together.");
        }
        if (reports.Select(r => r.Ref).Distinct().Count() != reports.Count)
        {
            return Problems.BadRequest("A replica is reported more than once in this sync.");
        }
        foreach (var report in reports)
        {
            if (CheckReport(report, limits.InlinePayloadLimit) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private static ProblemHttpResult? CheckReport(ReplicaReport report, int inlinePayloadLimit)
    {
        var which = $"Report of job {report.JobId} unit {report.UnitIndex} replica {report.Replica}";
        if (report.UnitIndex < 0 || report.Replica < 0)
        {
            return Problems.BadRequest($"{which}: unit index and replica number must not be negative.");
        }
        if (!Enum.IsDefined(report.Outcome))
        {
            return Problems.BadRequest($"{which}: 'outcome' must be one of {string.Join(", ", Enum.GetNames<ReportOutcome>())}.");
        }
        if (report.Outcome == ReportOutcome.Error)
        {
            if (report.Payload is not null || report.Digest is not null || report.Size != 0)
            {
                return Problems.BadRequest($"{which}: an error report carries no 'payload', 'digest' or 'size'.");
            }
            return report.Error is { Length: > 0 and <= MaxErrorLength }
                ? null
                : Problems.BadRequest($"{which}: an error report needs an 'error' message of 1 to {MaxErrorLength} characters.");
        }
        if (report.Error is not null)
        {
            return Problems.BadRequest($"{which}: a successful report carries no 'error'.");
        }
        if (!ContentDigest.IsWellFormed(report.Digest))
        {
            return Problems.BadRequest($"{which}: 'digest' must be \"sha256:\" followed by 64 lowercase hex digits.");
        }
        if (report.Size < 0)
        {
            return Problems.BadRequest($"{which}: 'size' must not be negative.");
        }
        if (report.Size > inlinePayloadLimit)
        {
            // Bulky results stay on the worker and reach the coordinator by peer relay, which this coordinator does not offer yet.
            return Problems.TooLarge($"{which}: payloads above {inlinePayloadLimit} bytes are not accepted inline.");
        }
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(report.Payload ?? throw new FormatException());
        }
        catch (FormatException)
        {
            return Problems.BadRequest($"{which}: a successful report under {inlinePayloadLimit} bytes needs its 'payload' in base64.");
        }
        if (payload.Length != report.Size || ContentDigest.Of(payload) != report.Digest)
        {
            return Problems.BadRequest($"{which}: the payload does not match its 'size' and 'digest'.");
        }
        return null;
    }

    private ProblemHttpResult Refuse(IReadOnlyList<RefusedReport> refused, int applied)
    {
        foreach (var refusal in refused)
        {
            metrics.CountRefusal(refusal.Verdict);
        }
        // Reports another worker's replica or a forged one are forbidden; late, cancelled or replayed ones conflict with state.
        var forbidden = refused.Any(r => r.Verdict is ReportVerdict.NotLeasedToWorker or ReportVerdict.BadSignature);
        var first = refused[0];
        return TypedResults.Problem(
            detail: $"{refused.Count} report(s) refused; {(applied == 0 ? "nothing in this sync was applied" : $"{applied} report(s) of other jobs were applied")}. " +
                    $"First: job {first.Replica.JobId} " +
                    $"unit {first.Replica.UnitIndex} replica {first.Replica.Replica}: {first.Verdict.Describe()}",
            statusCode: forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status409Conflict,
            title: "Reports refused.",
            extensions: new Dictionary<string, object?>
            {
                ["refused"] = refused.Select(r => new ReportRefusal(r.Replica, r.Verdict.ToString(), r.Verdict.Describe())).ToList(),
            });
    }
}

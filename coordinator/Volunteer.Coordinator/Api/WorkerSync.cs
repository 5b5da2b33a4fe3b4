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
/// One sync round trip (BOINC's scheduler RPC): checks the worker's reports here, at the edge, then hands the
/// sync to the host's grain, which commits the reports, says which replicas to drop, and leases new work from
/// the running jobs in priority order within the host's limits. Each job's grain is called at most once per
/// sync; a sync with any bad report is refused whole and changes nothing.
/// </summary>
public sealed class WorkerSync(IGrainFactory grains, IOptions<VolunteerOptions> options, CoordinatorMetrics metrics)
{
    /// <param name="network">The network the sync comes from (<see cref="ClientNetwork"/>).</param>
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(AttachedWorker worker, string? network, SyncRequest request)
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

        var outcome = await grains.GetGrain<IHostGrain>(worker.Id).SyncAsync(
            new HostSync(new VolunteerHost(worker.Id, worker.AccountId, network), results, request.InProgress, request.RequestUnits));
        if (outcome.Refused.Count > 0)
        {
            return Refuse(outcome.Refused);
        }
        var assignments = outcome.Jobs.SelectMany(job => job.Leases.Select(lease => AssignmentOf(job.App, lease))).ToList();
        return TypedResults.Ok(new SyncResponse(reports.Count, assignments, outcome.Cancelled, limits));
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

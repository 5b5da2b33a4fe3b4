using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// Checks the shape of a sync request and turns its reports into results, decoding each payload
/// once; or says what is wrong with it. Whether the reports may be accepted (signature, leases) is
/// decided after, by the worker's key and the job's grain.
/// </summary>
public static class SyncRequestRules
{
    public static (IReadOnlyList<ReplicaResult>? Results, ProblemHttpResult? Problem) Check(SyncRequest request, SyncLimits limits)
    {
        var reports = request.Reports ?? [];
        var inProgress = request.InProgress ?? [];
        if (request.RequestUnits < 0 || request.RequestUnits > limits.MaxUnitsPerSync)
        {
            return (null, Problems.BadRequest($"'requestUnits' must be between 0 and {limits.MaxUnitsPerSync}."));
        }
        if (reports.Count > limits.MaxReportsPerSync)
        {
            return (null, Problems.BadRequest($"At most {limits.MaxReportsPerSync} reports fit in one sync."));
        }
        if (inProgress.Count > limits.MaxInProgress)
        {
            return (null, Problems.BadRequest($"At most {limits.MaxInProgress} in-progress replicas fit in one sync."));
        }
        if (reports.Any(r => r is null) || inProgress.Any(r => r is null))
        {
            return (null, Problems.BadRequest("'reports' and 'inProgress' must not contain null entries."));
        }
        if (reports.Count > 0 && string.IsNullOrEmpty(request.Signature))
        {
            return (null, Problems.BadRequest("'signature' is required: the worker signs the reports it sends, all of them together."));
        }
        if (reports.Select(r => r.Ref).Distinct().Count() != reports.Count)
        {
            return (null, Problems.BadRequest("A replica is reported more than once in this sync."));
        }
        // One job's grain accepts all of its reports or none; with one job per sync, a refused sync changes nothing.
        if (reports.Select(r => r.JobId).Distinct().Count() > 1)
        {
            return (null, Problems.BadRequest("All reports of one sync must be of one job; send each job's reports in a sync of its own."));
        }
        var results = new List<ReplicaResult>(reports.Count);
        foreach (var report in reports)
        {
            var (result, problem) = CheckReport(report, limits);
            if (result is null)
            {
                return (null, problem);
            }
            results.Add(result);
        }
        return (results, null);
    }

    private static (ReplicaResult? Result, ProblemHttpResult? Problem) CheckReport(ReplicaReport report, SyncLimits limits)
    {
        var which = $"Report of job {report.JobId} unit {report.UnitIndex} replica {report.Replica}";
        if (report.UnitIndex < 0 || report.Replica < 0)
        {
            return (null, Problems.BadRequest($"{which}: unit index and replica number must not be negative."));
        }
        if (!Enum.IsDefined(report.Outcome))
        {
            return (null, Problems.BadRequest($"{which}: 'outcome' must be one of {string.Join(", ", Enum.GetNames<ReportOutcome>())}."));
        }
        if (report.Outcome == ReportOutcome.Error)
        {
            if (report.Payload is not null || report.Digest is not null || report.Size != 0)
            {
                return (null, Problems.BadRequest($"{which}: an error report carries no 'payload', 'digest' or 'size'."));
            }
            return report.Error is { Length: > 0 } error && error.Length <= limits.MaxErrorLength
                ? (new ReplicaResult(report.Ref, ReportOutcome.Error, null, 0, null, error), null)
                : (null, Problems.BadRequest($"{which}: an error report needs an 'error' message of 1 to {limits.MaxErrorLength} characters."));
        }
        if (report.Error is not null)
        {
            return (null, Problems.BadRequest($"{which}: a successful report carries no 'error'."));
        }
        if (!ContentDigest.IsWellFormed(report.Digest))
        {
            return (null, Problems.BadRequest($"{which}: 'digest' must be \"sha256:\" followed by 64 lowercase hex digits."));
        }
        if (report.Size < 0)
        {
            return (null, Problems.BadRequest($"{which}: 'size' must not be negative."));
        }
        if (report.Size > limits.InlinePayloadLimit)
        {
            return (null, Problems.TooLarge($"{which}: payloads above {limits.InlinePayloadLimit} bytes are not accepted inline."));
        }
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(report.Payload ?? throw new FormatException());
        }
        catch (FormatException)
        {
            return (null, Problems.BadRequest($"{which}: a successful report under {limits.InlinePayloadLimit} bytes needs its 'payload' in base64."));
        }
        if (payload.Length != report.Size || ContentDigest.Of(payload) != report.Digest)
        {
            return (null, Problems.BadRequest($"{which}: the payload does not match its 'size' and 'digest'."));
        }
        return (new ReplicaResult(report.Ref, ReportOutcome.Success, report.Digest, report.Size, payload, null), null);
    }
}

using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Api;

/// <summary>A sync whose shape is good: its reports as results, payloads decoded, and each relayed bundle's, in the order sent.</summary>
public sealed record CheckedSync(IReadOnlyList<ReplicaResult> Results, IReadOnlyList<IReadOnlyList<ReplicaResult>> Relayed);

/// <summary>
/// Checks the shape of a sync request and turns its reports (its own and those it relays) into results, decoding each
/// payload once; or says what is wrong with it. Whether the reports may be accepted (signatures, leases) is decided
/// after, by the workers' keys and the jobs' grains. Its peer advert and transfer reports are bounded here too, so a
/// sync of any bad shape is refused whole and applies nothing.
/// </summary>
public static class SyncRequestRules
{
    /// <summary>
    /// Most bytes one transfer report may claim (a pebibyte): far above any blob, and low enough that a sync's transfers
    /// add up without overflow.
    /// </summary>
    public const long MaxTransferBytes = 1L << 50;

    public static (CheckedSync? Sync, ProblemHttpResult? Problem) Check(SyncRequest request, SyncLimits limits)
    {
        var reports = request.Reports ?? [];
        var inProgress = request.InProgress ?? [];
        var relayed = request.Relayed ?? [];
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
        if ((CheckPeer(request.Peer, limits) ?? CheckTransfers(request.Transfers, limits) ?? CheckRelayedShape(relayed, reports.Count, limits)) is { } shape)
        {
            return (null, shape);
        }
        var (results, problem) = CheckReports(reports, limits, "");
        if (results is null)
        {
            return (null, problem);
        }
        var relayedResults = new List<IReadOnlyList<ReplicaResult>>(relayed.Count);
        for (var i = 0; i < relayed.Count; i++)
        {
            var (bundle, bundleProblem) = CheckReports(relayed[i].Reports, limits, $"Relayed bundle {i} (worker {relayed[i].WorkerId}): ");
            if (bundle is null)
            {
                return (null, bundleProblem);
            }
            relayedResults.Add(bundle);
        }
        return (new CheckedSync(results, relayedResults), null);
    }

    /// <summary>The reports of one signature (the worker's own, or one relayed bundle): distinct replicas, all of one job, each well formed.</summary>
    private static (IReadOnlyList<ReplicaResult>? Results, ProblemHttpResult? Problem) CheckReports(
        IReadOnlyList<ReplicaReport> reports, SyncLimits limits, string whose)
    {
        if (reports.Select(r => r.Ref).Distinct().Count() != reports.Count)
        {
            return (null, Problems.BadRequest($"{whose}A replica is reported more than once in this sync."));
        }
        // One job's grain accepts all of its reports or none; with one job per sync, a refused sync changes nothing.
        if (reports.Select(r => r.JobId).Distinct().Count() > 1)
        {
            return (null, Problems.BadRequest($"{whose}All reports of one sync must be of one job; send each job's reports in a sync of its own."));
        }
        var results = new List<ReplicaResult>(reports.Count);
        foreach (var report in reports)
        {
            var (result, problem) = CheckReport(report, limits, whose);
            if (result is null)
            {
                return (null, problem);
            }
            results.Add(result);
        }
        return (results, null);
    }

    private static (ReplicaResult? Result, ProblemHttpResult? Problem) CheckReport(ReplicaReport report, SyncLimits limits, string whose)
    {
        var which = $"{whose}Report of job {report.JobId} unit {report.UnitIndex} replica {report.Replica}";
        if (report.UnitIndex < 0 || report.Replica < 0)
        {
            return (null, Problems.BadRequest($"{which}: unit index and replica number must not be negative."));
        }
        if (!Enum.IsDefined(report.Outcome))
        {
            return (null, Problems.BadRequest($"{which}: 'outcome' must be one of {string.Join(", ", Enum.GetNames<ReportOutcome>())}."));
        }
        // Whether it is within the app's limit is for the job to judge (ReportVerdict.FuelAboveLimit).
        if (report.Fuel < 0)
        {
            return (null, Problems.BadRequest($"{which}: 'fuel' must not be negative (it is {report.Fuel})."));
        }
        if (report.Outcome == ReportOutcome.Error)
        {
            if (report.Payload is not null || report.Digest is not null || report.Size != 0)
            {
                return (null, Problems.BadRequest($"{which}: an error report carries no 'payload', 'digest' or 'size'."));
            }
            return report.Error is { Length: > 0 } error && error.Length <= limits.MaxErrorLength
                ? (new ReplicaResult(report.Ref, ReportOutcome.Error, null, 0, null, error, report.Fuel), null)
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
        if (report.Size > limits.MaxResultBytes)
        {
            return (null, Problems.TooLarge($"{which}: result payloads above {limits.MaxResultBytes} bytes are not accepted."));
        }
        if (report.Size > limits.InlinePayloadLimit)
        {
            // A bulky payload stays at the edge: the signed digest and size stand for it until it is pulled.
            return report.Payload is null
                ? (new ReplicaResult(report.Ref, ReportOutcome.Success, report.Digest, report.Size, null, null, report.Fuel), null)
                : (null, Problems.TooLarge(
                    $"{which}: payloads above {limits.InlinePayloadLimit} bytes are not accepted inline; report them by 'digest' and 'size' only."));
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
        return (new ReplicaResult(report.Ref, ReportOutcome.Success, report.Digest, report.Size, payload, null, report.Fuel), null);
    }

    private static ProblemHttpResult? CheckPeer(PeerAdvert? peer, SyncLimits limits)
    {
        if (peer is null)
        {
            return null;
        }
        if (peer.Port is < 1 or > 65535)
        {
            return Problems.BadRequest("'peer.port' must be between 1 and 65535, or null for a worker that serves nothing.");
        }
        if (peer.UploadBytesPerSecond < 0)
        {
            return Problems.BadRequest("'peer.uploadBytesPerSecond' must not be negative (0 when unbounded).");
        }
        return CheckDigests(peer.Added, "peer.added", limits.MaxInProgress) ?? CheckDigests(peer.Removed, "peer.removed", limits.MaxInProgress);
    }

    private static ProblemHttpResult? CheckDigests(IReadOnlyList<string>? digests, string name, int max)
    {
        if (digests is null)
        {
            return null;
        }
        if (digests.Count > max)
        {
            return Problems.BadRequest($"'{name}' lists at most {max} blobs in one sync.");
        }
        return digests.All(ContentDigest.IsWellFormed)
            ? null
            : Problems.BadRequest($"Every digest of '{name}' must be \"sha256:\" followed by 64 lowercase hex digits.");
    }

    private static ProblemHttpResult? CheckTransfers(IReadOnlyList<TransferReport>? transfers, SyncLimits limits)
    {
        if (transfers is null)
        {
            return null;
        }
        if (transfers.Count > limits.MaxInProgress)
        {
            return Problems.BadRequest($"At most {limits.MaxInProgress} transfers fit in one sync.");
        }
        foreach (var transfer in transfers)
        {
            if (transfer is null)
            {
                return Problems.BadRequest("'transfers' must not contain null entries.");
            }
            var which = $"Transfer of {Problems.Quote(transfer.Digest)} for job {transfer.JobId}";
            if (!ContentDigest.IsWellFormed(transfer.Digest))
            {
                return Problems.BadRequest($"{which}: 'digest' must be \"sha256:\" followed by 64 lowercase hex digits.");
            }
            if (transfer.PeerBytes is < 0 or > MaxTransferBytes || transfer.CoordinatorBytes is < 0 or > MaxTransferBytes)
            {
                return Problems.BadRequest($"{which}: 'peerBytes' and 'coordinatorBytes' must be between 0 and {MaxTransferBytes}.");
            }
            if (transfer.BadHolders.Count > SyncLimits.MaxBadHoldersPerTransfer)
            {
                return Problems.BadRequest($"{which}: 'badHolders' must list 0 to {SyncLimits.MaxBadHoldersPerTransfer} worker ids.");
            }
        }
        return null;
    }

    /// <summary>The bundles' envelopes; their reports are checked as the worker's own are, after.</summary>
    private static ProblemHttpResult? CheckRelayedShape(IReadOnlyList<RelayedReports> relayed, int ownReports, SyncLimits limits)
    {
        if (relayed.Count > limits.MaxRelayedPerSync)
        {
            return Problems.BadRequest($"At most {limits.MaxRelayedPerSync} relayed bundles fit in one sync.");
        }
        if (relayed.Any(b => b is null || b.Reports.Any(r => r is null)))
        {
            return Problems.BadRequest("'relayed' must not contain null bundles, and a bundle's 'reports' no null entries.");
        }
        // Relayed reports cost what the worker's own do: together they stay within one sync's bound.
        if (ownReports + relayed.Sum(b => (long)b.Reports.Count) > limits.MaxReportsPerSync)
        {
            return Problems.BadRequest($"At most {limits.MaxReportsPerSync} reports fit in one sync, relayed ones included.");
        }
        for (var i = 0; i < relayed.Count; i++)
        {
            var bundle = relayed[i];
            if (bundle.WorkerId == Guid.Empty)
            {
                return Problems.BadRequest($"Relayed bundle {i}: 'workerId' must name the worker whose reports they are.");
            }
            if (bundle.Reports.Count == 0)
            {
                return Problems.BadRequest($"Relayed bundle {i} (worker {bundle.WorkerId}): a bundle carries at least one report.");
            }
            if (string.IsNullOrEmpty(bundle.Signature))
            {
                return Problems.BadRequest($"Relayed bundle {i} (worker {bundle.WorkerId}): 'signature' is required: its worker signed its reports together.");
            }
        }
        return null;
    }
}

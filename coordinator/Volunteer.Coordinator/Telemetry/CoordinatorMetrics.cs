using System.Diagnostics.Metrics;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Telemetry;

/// <summary>The project's own meter, "Volunteer.Coordinator".</summary>
public sealed class CoordinatorMetrics
{
    public const string MeterName = "Volunteer.Coordinator";

    /// <summary>The instrument of <see cref="ResultsJudged"/>, whose tag <see cref="VerdictTag"/> is "valid" for a validated result.</summary>
    public const string ResultsJudgedName = "volunteer.results.judged";

    public const string VerdictTag = "verdict";

    public const string ValidVerdict = "valid";

    public CoordinatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        UnitsDispatched = meter.CreateCounter<long>("volunteer.replicas.dispatched", description: "Replicas leased to workers");
        WorkerRequestsShed = meter.CreateCounter<long>("volunteer.workers.shed", description: "Volunteers' requests answered 503 because the silo was serving its most at once");
        ReportsAccepted = meter.CreateCounter<long>("volunteer.reports.accepted", description: "Reports committed");
        ReportsRefused = meter.CreateCounter<long>("volunteer.reports.refused", description: "Reports refused, by reason");
        LeasesExpired = meter.CreateCounter<long>("volunteer.leases.expired", description: "Leases voided at their deadline");
        ResultsJudged = meter.CreateCounter<long>(ResultsJudgedName, description: "Replicas judged, by verdict (valid, invalid, error, timed out)");
        CreditLines = meter.CreateCounter<long>("volunteer.credit.lines", description: "Credit ledger lines committed, by kind (granted, revoked)");
        RelayedReports = meter.CreateCounter<long>("volunteer.relay.reports", description: "Reports relayed by another worker, by outcome (accepted, refused) and reason");
        BadChunkAccusations = meter.CreateCounter<long>("volunteer.peers.accusations", description: "Holders reported for serving a chunk that failed its digest, by outcome (counted, ignored)");
        PeerProbes = meter.CreateCounter<long>("volunteer.peers.probes", description: "Connect-backs to workers' peer endpoints, by result (reached, unreached)");
        PeersUnlisted = meter.CreateCounter<long>("volunteer.peers.unlisted", description: "Hosts unlisted for good for serving bad data");
        RelayCoordinatorBytes = meter.CreateCounter<long>("volunteer.relay.coordinator.bytes", unit: "By",
            description: "Bytes of jobs' blobs the coordinator served to workers");
        ResultsPulled = meter.CreateCounter<long>(
            "volunteer.results.pulled", description: "Result payloads above the inline limit taken from the workers that hold them (pulled or uploaded on request)");
    }

    public Counter<long> UnitsDispatched { get; }

    public Counter<long> WorkerRequestsShed { get; }

    public Counter<long> ReportsAccepted { get; }

    public Counter<long> ReportsRefused { get; }

    public Counter<long> LeasesExpired { get; }

    public Counter<long> ResultsJudged { get; }

    public Counter<long> CreditLines { get; }

    public Counter<long> RelayedReports { get; }

    public Counter<long> BadChunkAccusations { get; }

    public Counter<long> PeerProbes { get; }

    public Counter<long> PeersUnlisted { get; }

    public Counter<long> RelayCoordinatorBytes { get; }

    public Counter<long> ResultsPulled { get; }

    /// <summary>Counts the ledger lines of a committed batch: grants, and revocations of results accepted alone that were sent back.</summary>
    public void CountCredit(IReadOnlyList<CreditEntryRecord> lines)
    {
        var revoked = lines.Count(l => l.Amount < 0);
        if (lines.Count > revoked)
        {
            CreditLines.Add(lines.Count - revoked, new KeyValuePair<string, object?>("kind", "granted"));
        }
        if (revoked > 0)
        {
            CreditLines.Add(revoked, new KeyValuePair<string, object?>("kind", "revoked"));
        }
    }

    /// <summary>Counts a job's judgements as it tells the hosts of them.</summary>
    public void CountJudged(HostTally tally)
    {
        Count(ValidVerdict, tally.Valid);
        Count("invalid", tally.Invalid);
        Count("error", tally.Errors);
        Count("timed out", tally.TimedOut);

        void Count(string verdict, long count)
        {
            if (count > 0)
            {
                ResultsJudged.Add(count, new KeyValuePair<string, object?>(VerdictTag, verdict));
            }
        }
    }

    public void CountRefusal(ReportVerdict verdict) =>
        ReportsRefused.Add(1, new KeyValuePair<string, object?>("reason", verdict.ToString()));

    public void CountRelayed(int accepted) =>
        RelayedReports.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));

    /// <summary>Counts a relayed bundle's refused reports, by reason (a ReportVerdict, or UnknownWorker).</summary>
    public void CountRelayRefused(int refused, string reason) =>
        RelayedReports.Add(refused, new KeyValuePair<string, object?>("outcome", "refused"), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts an accusation of a holder: counted against it, or ignored (the holder was never handed to the accuser for that blob).</summary>
    public void CountAccusation(bool counted) =>
        BadChunkAccusations.Add(1, new KeyValuePair<string, object?>("outcome", counted ? "counted" : "ignored"));

    public void CountPeerProbe(bool reached) =>
        PeerProbes.Add(1, new KeyValuePair<string, object?>("result", reached ? "reached" : "unreached"));
}

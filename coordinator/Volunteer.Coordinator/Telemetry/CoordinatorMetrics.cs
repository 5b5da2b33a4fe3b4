using System.Diagnostics.Metrics;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Telemetry;

/// <summary>The project's own meter, "Volunteer.Coordinator".</summary>
public sealed class CoordinatorMetrics
{
    public const string MeterName = "Volunteer.Coordinator";

    public CoordinatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        UnitsDispatched = meter.CreateCounter<long>("volunteer.replicas.dispatched", description: "Replicas leased to workers");
        ReportsAccepted = meter.CreateCounter<long>("volunteer.reports.accepted", description: "Reports committed");
        ReportsRefused = meter.CreateCounter<long>("volunteer.reports.refused", description: "Reports refused, by reason");
        LeasesExpired = meter.CreateCounter<long>("volunteer.leases.expired", description: "Leases voided at their deadline");
        ResultsJudged = meter.CreateCounter<long>("volunteer.results.judged", description: "Replicas judged, by verdict (valid, invalid, error, timed out)");
        CreditLines = meter.CreateCounter<long>("volunteer.credit.lines", description: "Credit ledger lines committed, by kind (granted, revoked)");
        ResultsPulled = meter.CreateCounter<long>(
            "volunteer.results.pulled", description: "Result payloads above the inline limit taken from the workers that hold them (pulled or uploaded on request)");
    }

    public Counter<long> UnitsDispatched { get; }

    public Counter<long> ReportsAccepted { get; }

    public Counter<long> ReportsRefused { get; }

    public Counter<long> LeasesExpired { get; }

    public Counter<long> ResultsJudged { get; }

    public Counter<long> CreditLines { get; }

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
        Count("valid", tally.Valid);
        Count("invalid", tally.Invalid);
        Count("error", tally.Errors);
        Count("timed out", tally.TimedOut);

        void Count(string verdict, long count)
        {
            if (count > 0)
            {
                ResultsJudged.Add(count, new KeyValuePair<string, object?>("verdict", verdict));
            }
        }
    }

    public void CountRefusal(ReportVerdict verdict) =>
        ReportsRefused.Add(1, new KeyValuePair<string, object?>("reason", verdict.ToString()));
}

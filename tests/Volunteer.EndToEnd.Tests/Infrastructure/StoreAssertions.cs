namespace Volunteer.EndToEnd.Tests;

/// <summary>What the coordinator's database must show once a job has completed.</summary>
public static class StoreAssertions
{
    private static readonly string[] ReportedStates = ["Valid", "Invalid", "Reported"];

    /// <summary>
    /// Every unit of the job has exactly its quorum of Valid replicas, computed by that many distinct workers of this
    /// cluster: the job's <paramref name="quorum"/>, or 1 for a unit a trusted worker computed alone (adaptive
    /// replication); and no two replicas of a unit were issued to one network (the workers connect from loopback /24s
    /// of their own, so placement keeps them apart by network too).
    /// </summary>
    public static void EveryUnitValidByDistinctWorkers(IReadOnlyList<ReplicaRow> replicas, long unitCount, int quorum, IReadOnlyCollection<Guid> workers)
    {
        var byUnit = replicas.GroupBy(r => r.UnitIndex).ToDictionary(g => g.Key, g => g.ToList());
        var problems = new List<string>();
        for (long unit = 0; unit < unitCount; unit++)
        {
            if (!byUnit.TryGetValue(unit, out var rows))
            {
                problems.Add($"unit {unit}: no replicas in the database");
                continue;
            }
            var valid = rows.Where(r => r.State == "Valid").ToList();
            var validWorkers = valid.Select(r => r.WorkerId).Distinct().ToList();
            var unitQuorum = rows[0].UnitQuorum > 0 ? rows[0].UnitQuorum : quorum;
            if (unitQuorum != quorum && !(unitQuorum == 1 && quorum == 2))
            {
                problems.Add($"unit {unit}: quorum {unitQuorum} in a job of quorum {quorum}");
            }
            if (valid.Count != unitQuorum || validWorkers.Count != unitQuorum || validWorkers.Any(w => w is null || !workers.Contains(w.Value)))
            {
                problems.Add($"unit {unit}: {valid.Count} Valid replicas from workers [{string.Join(", ", valid.Select(r => r.WorkerId))}]; " +
                    $"all replicas: {string.Join("; ", rows.Select(r => $"#{r.Replica} {r.State} {r.WorkerId} {r.Outcome}"))}");
            }
            var issued = rows.Where(r => r.WorkerId is not null).ToList();
            if (issued.Any(r => r.Network is null) || issued.Select(r => r.Network).Distinct().Count() != issued.Count)
            {
                problems.Add($"unit {unit}: replicas issued to networks [{string.Join(", ", issued.Select(r => $"#{r.Replica} {r.Network ?? "none"}"))}]");
            }
        }
        var extra = byUnit.Keys.Where(u => u < 0 || u >= unitCount).ToList();
        if (extra.Count > 0)
        {
            problems.Add($"replicas of units outside 0..{unitCount - 1}: {string.Join(", ", extra)}");
        }
        Assert.True(problems.Count == 0,
            $"{problems.Count} problems: units without their quorum (the job's {quorum}, or 1 alone) of Valid replicas from distinct workers, or with replicas on one network:\n" +
            string.Join("\n", problems.Take(20)));
    }

    /// <summary>
    /// Acknowledged means durable: every report a worker saw acknowledged is recorded as reported by
    /// that worker (Valid, Invalid or Reported; never Assigned, Unsent, TimedOut or Cancelled).
    /// </summary>
    public static void NoAcknowledgedReportLost(IReadOnlyList<ReplicaRow> replicas, IEnumerable<AcknowledgedReport> acknowledged, Guid jobId)
    {
        var rows = replicas.ToDictionary(r => (r.UnitIndex, r.Replica));
        var problems = new List<string>();
        var checkedCount = 0;
        foreach (var report in acknowledged)
        {
            checkedCount++;
            if (report.JobId != jobId)
            {
                problems.Add($"{report.WorkerName} acknowledged a report of another job: {report.Line}");
            }
            else if (!rows.TryGetValue((report.UnitIndex, report.Replica), out var row))
            {
                problems.Add($"{report.WorkerName}: unit {report.UnitIndex} replica {report.Replica} is not in the database at all ({report.Line})");
            }
            else if (!ReportedStates.Contains(row.State) || row.WorkerId != report.WorkerId)
            {
                problems.Add($"{report.WorkerName} ({report.WorkerId}): unit {report.UnitIndex} replica {report.Replica} was acknowledged, " +
                    $"but the database has it {row.State} for worker {row.WorkerId?.ToString() ?? "none"} (outcome {row.Outcome ?? "none"})");
            }
        }
        Assert.True(checkedCount > 0, "No worker logged an acknowledged report, so there was nothing to check.");
        Assert.True(problems.Count == 0,
            $"{problems.Count} of {checkedCount} acknowledged reports were lost or changed:\n" + string.Join("\n", problems.Take(20)));
    }
}

using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// A sync whose answer never reaches the worker (a crash, a dropped connection) leaves leases that
/// only the coordinator knows of. They must not strand their unit until the deadline.
/// </summary>
public sealed class LostSyncResponseTests(ITestOutputHelper output)
{
    /// <summary>Units that the job is cut into; each unit needs two of the three workers.</summary>
    private const int Units = 10;

    /// <summary>How long the job may take here, far below the default lease deadline of an hour.</summary>
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Leases_whose_sync_answer_was_lost_are_sent_again_and_the_job_completes_before_their_deadline()
    {
        // Oldest unit first, not one picked at random among the oldest: both lost leases are then of unit 0.
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3, new Dictionary<string, string> { ["Volunteer__PlacementPoolSize"] = "1" });
        var coordinator = cluster.Coordinator;
        // The default deadline (an hour): only a resend, never an expiry, can finish the job in time.
        var submitted = await cluster.SubmitAsync(coordinator, VolunteerCluster.PrimesJob(unitSize: 10_000_000 / Units));
        Assert.Equal(Units, submitted.UnitCount);

        // w1 and w2 each lease a replica, and the answers are "lost": the agents never see them. Both
        // replicas of unit 0 are now out, and w3 alone could never satisfy a quorum of two for it.
        var lost = new List<(WorkerProcess Worker, long UnitIndex, int Replica)>();
        foreach (var worker in cluster.Workers.Take(2))
        {
            var leased = await coordinator.SyncAsWorkerAsync(worker, units: 1);
            Assert.Single(leased);
            lost.Add((worker, leased[0].UnitIndex, leased[0].Replica));
        }
        cluster.Log("lost sync answers: " + string.Join(", ", lost.Select(l => $"{l.Worker.Name} unit {l.UnitIndex} replica {l.Replica}")));
        Assert.All(lost, l => Assert.Equal(0, l.UnitIndex));

        cluster.StartWorkers();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id, CompletionTimeout);
        cluster.Log($"finished {finished}");
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");

        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        var replicas = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, Units, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        StoreAssertions.NoAcknowledgedReportLost(replicas, cluster.AllAcknowledged(), submitted.Id);
        cluster.Log("the lost leases ended as: " + string.Join(", ", lost.Select(l =>
            replicas.Single(r => r.UnitIndex == l.UnitIndex && r.Replica == l.Replica) is var row && row.WorkerId == l.Worker.WorkerId
                ? $"{l.Worker.Name}'s replica {l.Replica} {row.State}"
                : $"replica {l.Replica} {row.State} for another worker")) + $"; {cluster.DescribeTimedOut(replicas)}");
    }
}

using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>kill -9 of a worker mid-job: restarted on the same state, it resumes and the job completes.</summary>
public sealed class WorkerCrashTests(ITestOutputHelper output)
{
    /// <summary>Reports the victim has had acknowledged before it is killed.</summary>
    private const int VictimAcknowledgedBeforeKill = 5;

    /// <summary>A lease the killed worker received but never wrote down comes back after this deadline.</summary>
    private const int DeadlineSeconds = 15;

    [Fact]
    public async Task Worker_killed_mid_job_and_restarted_on_its_state_resumes_and_the_job_completes()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var coordinator = cluster.Coordinator;
        var victim = cluster.Workers[0];

        var submitted = await cluster.SubmitAsync(coordinator, VolunteerCluster.PrimesJob(unitSize: 100_000, DeadlineSeconds));
        Assert.Equal(100, submitted.UnitCount);

        cluster.StartWorkers();
        await Eventually.UntilAsync(
            $"{victim.Name} to have {VictimAcknowledgedBeforeKill} reports acknowledged",
            () => victim.AcknowledgedCount >= VictimAcknowledgedBeforeKill, () => cluster.Diagnostics(),
            interval: TimeSpan.FromMilliseconds(10));

        // Killed while a leased unit or an unacknowledged report is on its disk: the work is in its hands.
        var (leased, unacknowledged) = await victim.KillWhileHoldingWorkAsync(TimeSpan.FromSeconds(30));
        var atKill = await coordinator.GetJobAsync(submitted.Id);
        cluster.Log($"{victim.Name} killed (SIGKILL) holding {leased.Count} leased units [{string.Join(", ", leased)}] and " +
            $"{unacknowledged.Count} unacknowledged reports [{string.Join(", ", unacknowledged)}] after {victim.AcknowledgedCount} acknowledged; {atKill}");
        Assert.Equal("Running", atKill.State);

        victim.Start();
        cluster.Log($"{victim.Name} restarted on {victim.StateDirectory}");

        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);
        cluster.Log($"finished {finished}");
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.Equal(100, finished.Assimilated);

        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        // The restarted agent works off what the killed one left: leases resumed, reports delivered, state drained.
        await Eventually.UntilAsync(
            $"{victim.Name} to work off its inbox and outbox",
            () => victim.StateFiles() is { Leased.Count: 0, Unacknowledged.Count: 0 },
            () => $"{victim.Name} still holds {string.Join(", ", victim.StateFiles().Leased)} leased, " +
                  $"{string.Join(", ", victim.StateFiles().Unacknowledged)} unacknowledged\n{cluster.Diagnostics()}",
            TimeSpan.FromSeconds(60));
        var afterRestart = victim.LinesOf(1);
        var delivered = WorkerProcess.ReplicaKeys(afterRestart, "Report acknowledged")
            .Union(WorkerProcess.ReplicaKeys(afterRestart, "Report refused")).ToHashSet();
        // A lease on its disk at the kill is worked off: started again; or delivered, when the killed agent finished it
        // between the look at its disk and the kill; or dropped on the coordinator's word (its unit was settled without it,
        // through a speculative replica, say).
        var workedOff = WorkerProcess.ReplicaKeys(afterRestart, "Unit started")
            .Union(delivered)
            .Union(WorkerProcess.ReplicaKeys(afterRestart, "Unit cancelled by the coordinator")).ToHashSet();
        Assert.True(leased.All(workedOff.Contains),
            $"The restarted {victim.Name} did not resume [{string.Join(", ", leased.Where(l => !workedOff.Contains(l)))}].\n{victim.Tail(80)}");
        Assert.True(unacknowledged.All(delivered.Contains),
            $"The restarted {victim.Name} never delivered [{string.Join(", ", unacknowledged.Where(u => !delivered.Contains(u)))}].\n{victim.Tail(80)}");

        var replicas = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, cluster.AllAcknowledged(), submitted.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, 100, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        cluster.Log($"{victim.Name} resumed {leased.Count} leases and delivered {unacknowledged.Count} reports after its restart; " +
            $"{cluster.DescribeTimedOut(replicas)}; acknowledged per worker: " +
            string.Join(", ", cluster.Workers.Select(w => $"{w.Name}={w.AcknowledgedCount}")));
    }
}

using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>kill -9 of the coordinator mid-job: acknowledged means durable, and the job still completes.</summary>
public sealed class CoordinatorCrashTests(ITestOutputHelper output)
{
    /// <summary>Acknowledged reports (all workers) after which the coordinator is killed.</summary>
    private const int AcknowledgedBeforeKill = 10;

    /// <summary>
    /// A lease granted in a sync whose response the kill cut off is known only to the coordinator; it
    /// comes back when its deadline passes. A short deadline keeps that wait short.
    /// </summary>
    private const int DeadlineSeconds = 15;

    [Fact]
    public async Task Coordinator_killed_mid_job_and_restarted_on_the_same_data_loses_no_acknowledged_report()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var coordinator = cluster.Coordinator;

        var submitted = await cluster.SubmitAsync(coordinator, VolunteerCluster.PrimesJob(unitSize: 100_000, DeadlineSeconds));
        Assert.Equal(100, submitted.UnitCount);

        // Killed from the log callback itself, the moment the threshold is crossed, so the job is surely mid-way.
        await cluster.StartWorkersAsync(AcknowledgedBeforeKill, coordinator.KillNow);
        await coordinator.KillAsync();
        cluster.Log($"coordinator killed (SIGKILL) after the {AcknowledgedBeforeKill}th acknowledged report");

        // The store as the dead coordinator left it: the job is mid-way.
        var atKill = VolunteerDatabase.Job(coordinator.DatabasePath, submitted.Id);
        Assert.NotNull(atKill);
        cluster.Log($"store at the kill: job {atKill.Value.State}, {atKill.Value.UnitsAssimilated}/{atKill.Value.UnitCount} units assimilated");
        Assert.Equal("Running", atKill.Value.State);
        Assert.True(atKill.Value.UnitsAssimilated < atKill.Value.UnitCount);

        // Every worker notices the outage (and keeps its finished reports in its outbox meanwhile).
        await Eventually.UntilAsync(
            "every worker to see a failed sync while the coordinator is down",
            () => cluster.Workers.All(w => w.SyncFailures > 0),
            () => cluster.Diagnostics(),
            TimeSpan.FromSeconds(30));
        var beforeRestart = cluster.AllAcknowledged();
        var waiting = cluster.Workers.Select(w => $"{w.Name}: {w.StateFiles().Unacknowledged.Count} unacknowledged, {w.StateFiles().Leased.Count} leased");
        cluster.Log($"acknowledged by the killed coordinator: {beforeRestart.Count} reports " +
            $"({string.Join(", ", cluster.Workers.Select(w => $"{w.Name}={w.AcknowledgedCount}"))}); on disk: {string.Join("; ", waiting)}");

        await coordinator.StartAsync();
        cluster.Log("coordinator restarted on the same data folder and ports");

        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);
        cluster.Log($"finished {finished}");
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.Equal(100, finished.Assimilated);
        Assert.Equal(0, finished.Failed);

        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        var replicas = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id);
        var all = cluster.AllAcknowledged();
        // Those acknowledged before the kill first: they are the ones a crash could have lost.
        StoreAssertions.NoAcknowledgedReportLost(replicas, beforeRestart, submitted.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, all, submitted.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, 100, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        cluster.Log($"checked {beforeRestart.Count} reports acknowledged before the kill and {all.Count} in all; " +
            $"{replicas.Count} replicas in the store; {cluster.DescribeTimedOut(replicas)}");
    }
}

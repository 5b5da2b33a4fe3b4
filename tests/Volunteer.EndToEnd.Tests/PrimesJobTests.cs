using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>A real coordinator and three real workers count the primes below 10^7 with quorum 2.</summary>
public sealed class PrimesJobTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Three_workers_count_the_primes_below_ten_million_with_quorum_two()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var coordinator = cluster.Coordinator;

        var submitted = await cluster.SubmitAsync(coordinator, VolunteerCluster.PrimesJob(unitSize: 250_000));
        Assert.Equal("Running", submitted.State);
        Assert.Equal(40, submitted.UnitCount);

        cluster.StartWorkers();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);
        cluster.Log($"finished {finished}");

        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.Equal(40, finished.Assimilated);
        Assert.Equal(0, finished.Failed);
        Assert.Equal(1.0, finished.Progress);

        var (jobId, app, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(submitted.Id, jobId);
        Assert.Equal("primes", app);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        var replicas = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, 40, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        StoreAssertions.NoAcknowledgedReportLost(replicas, cluster.AllAcknowledged(), submitted.Id);
        cluster.Log($"{replicas.Count} replicas in the store; acknowledged per worker: " +
            string.Join(", ", cluster.Workers.Select(w => $"{w.Name}={w.AcknowledgedCount}")));
    }
}

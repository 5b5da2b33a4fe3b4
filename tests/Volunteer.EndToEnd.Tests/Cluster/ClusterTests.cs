using System.Diagnostics;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>Several coordinator silo processes over one real PostgreSQL: membership, a killed silo, a restarted cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Units = 100;
    private const int DeadlineSeconds = 15;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Silo_processes_over_one_database_form_one_cluster(int siloCount)
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount, workerCount: 0);

        await cluster.WaitForViewsAsync($"each of {siloCount} silos to see all {siloCount} active", _ => "Active", TimeSpan.FromSeconds(60));

        foreach (var silo in cluster.Silos)
        {
            var (self, statuses) = await silo.ClusterViewAsync();
            Assert.StartsWith($"127.0.0.1:{silo.SiloPort}@", self, StringComparison.Ordinal);
            Assert.Equal(cluster.Silos.Select(s => s.SiloPort).Order(), statuses.Where(s => s.Value == "Active").Select(s => s.Key).Order());
        }
    }

    [Fact]
    public async Task A_silo_killed_mid_job_loses_no_acknowledged_report_and_rejoins_when_restarted()
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount: 3, workerCount: 3);
        await cluster.WaitForViewsAsync("all three silos active", _ => "Active", TimeSpan.FromSeconds(60));
        var entry = cluster.Silos[0];
        var victim = cluster.Silos[1];
        var job = await entry.SubmitJobAsync(VolunteerCluster.PrimesJob(unitSize: 100_000, DeadlineSeconds));
        Assert.Equal(Units, job.UnitCount);

        var acknowledged = 0;
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sinceKill = new Stopwatch();
        foreach (var worker in cluster.Workers)
        {
            worker.OnAcknowledged = (_, _) =>
            {
                if (Interlocked.Increment(ref acknowledged) == 20)
                {
                    victim.KillNow();
                    sinceKill.Start();
                    killed.TrySetResult();
                }
            };
        }
        cluster.StartWorkers();
        await Eventually.UntilAsync("20 acknowledged reports", () => killed.Task.IsCompleted, () => cluster.Diagnostics());
        await victim.KillAsync();
        var beforeKill = cluster.AllAcknowledged();
        cluster.Log($"{victim.Name} killed (SIGKILL) after {beforeKill.Count} acknowledged reports");

        // The survivors answer for the job again (its grain may have lived on the dead silo).
        await Eventually.WaitAsync("the survivors to answer for the job", async () =>
        {
            foreach (var survivor in cluster.Silos.Where(s => s != victim))
            {
                await survivor.GetJobAsync(job.Id);
            }
            return "answered";
        }, () => cluster.Diagnostics(), interval: TimeSpan.FromMilliseconds(100));
        var answeredAfter = sinceKill.Elapsed;
        await cluster.WaitForViewsAsync($"the survivors to declare {victim.Name} dead",
            s => s == victim ? "Dead" : "Active", TimeSpan.FromSeconds(60));
        var declaredDeadAfter = sinceKill.Elapsed;
        cluster.Log($"survivors answered for the job {answeredAfter.TotalSeconds:0.0} s after the kill; " +
            $"{victim.Name} declared dead after {declaredDeadAfter.TotalSeconds:0.0} s");

        var finished = await entry.WaitForJobToFinishAsync(job.Id, () => cluster.Diagnostics());
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.Equal(Units, finished.Assimilated);
        var (_, _, result) = await cluster.Silos[2].GetResultAsync(job.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        var replicas = await PostgresDatabase.ReplicasAsync(cluster.ConnectionString, job.Id);
        var all = cluster.AllAcknowledged();
        Assert.True(all.Count > beforeKill.Count, "No report was acknowledged after the kill: the survivors served nothing.");
        StoreAssertions.NoAcknowledgedReportLost(replicas, beforeKill, job.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, all, job.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, Units, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        Assert.Equal(replicas.Count, replicas.Select(r => (r.UnitIndex, r.Replica)).Distinct().Count());
        cluster.Log($"figures: 3 silos, 3 workers, {Units} units; {all.Count} reports acknowledged ({beforeKill.Count} before the kill); " +
            $"{replicas.Count(r => r.State is "Valid" or "Invalid" or "Reported")} reported replicas in the database, " +
            $"{replicas.Count} replica rows, each once; {replicas.Count(r => r.State == "TimedOut")} leases timed out");

        await victim.StartAsync();
        await cluster.WaitForViewsAsync($"the restarted {victim.Name} to rejoin", _ => "Active", TimeSpan.FromSeconds(60));
        cluster.Log($"{victim.Name} restarted and seen active by every silo");
        Assert.Equal("Completed", (await victim.GetJobAsync(job.Id)).State);
    }

    [Fact]
    public async Task The_whole_cluster_restarted_mid_job_resumes_from_the_database()
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount: 2, workerCount: 3);
        await cluster.WaitForViewsAsync("both silos active", _ => "Active", TimeSpan.FromSeconds(60));
        var job = await cluster.Silos[0].SubmitJobAsync(VolunteerCluster.PrimesJob(unitSize: 100_000, DeadlineSeconds));

        var acknowledged = 0;
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var worker in cluster.Workers)
        {
            worker.OnAcknowledged = (_, _) =>
            {
                if (Interlocked.Increment(ref acknowledged) == 20)
                {
                    foreach (var silo in cluster.Silos)
                    {
                        silo.KillNow();
                    }
                    killed.TrySetResult();
                }
            };
        }
        cluster.StartWorkers();
        await Eventually.UntilAsync("20 acknowledged reports", () => killed.Task.IsCompleted, () => cluster.Diagnostics());
        foreach (var silo in cluster.Silos)
        {
            await silo.KillAsync();
        }
        var beforeKill = cluster.AllAcknowledged();
        cluster.Log($"every silo killed (SIGKILL) after {beforeKill.Count} acknowledged reports");

        // Together, as an operator restarts a cluster: a silo started alone would first wait to hear from
        // the other dead incarnations the membership table still lists as active.
        await Task.WhenAll(cluster.Silos.Select(s => s.StartAsync()));
        cluster.Log("every silo restarted on the same database");

        var finished = await cluster.Silos[1].WaitForJobToFinishAsync(job.Id, () => cluster.Diagnostics());
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        var (_, _, result) = await cluster.Silos[0].GetResultAsync(job.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());
        var replicas = await PostgresDatabase.ReplicasAsync(cluster.ConnectionString, job.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, beforeKill, job.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, cluster.AllAcknowledged(), job.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, Units, quorum: 2, cluster.Workers.Select(w => w.WorkerId).ToList());
        cluster.Log($"{cluster.AllAcknowledged().Count} reports acknowledged in all, {beforeKill.Count} before the restart; all in the database");
    }
}

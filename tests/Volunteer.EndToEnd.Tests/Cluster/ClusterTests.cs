using System.Diagnostics;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// Cluster mode as an operator runs it: several coordinator silo processes over one real PostgreSQL,
/// workers that know every silo's URL. Membership, a silo killed (SIGKILL) mid-job, the whole cluster
/// killed mid-job. The figures each test prints are the ones to report.
/// </summary>
[Collection(ClusterPostgresCollection.Name)]
public sealed class ClusterTests(PostgresServer postgres, ITestOutputHelper output)
{
    // [0, 10^7) in 2,000 units: the job must outlast a worker's fail-over. A unit costs the agent about a millisecond and the
    // job's pace is its syncs; in 100 units the other two workers finished all 200 replicas within 2 s of the submission,
    // once before the worker cut off by the kill had failed over, which then had nothing left to report.
    private const int Units = 2_000;
    private const int UnitSize = 5_000;
    private const int Quorum = 2;
    // Only a safety net: a lease granted in a sync answer that a kill cut off is reissued after this.
    private const int DeadlineSeconds = 15;
    private const int KillAfterAcknowledged = 20;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Silo_processes_over_one_database_form_one_cluster(int siloCount)
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount, workerCount: 0);

        var views = await cluster.WaitForViewsAsync($"each of the {siloCount} silos to see all {siloCount} active",
            cluster.Silos, (_, view) => SiloCluster.AllActive(view, cluster.Silos));

        foreach (var (silo, view) in views)
        {
            cluster.Log($"{silo.Name}: {view}");
            Assert.Equal(silo.SiloPort, view.SelfPort);
            Assert.StartsWith("127.0.0.1:", view.Self, StringComparison.Ordinal);
            // One incarnation per silo, all active, nothing else.
            Assert.Equal(cluster.Silos.Select(s => s.SiloPort).Order(), view.Members.Select(m => m.Port).Order());
            Assert.All(view.Members, m => Assert.Equal("Active", m.Status));
        }
        // Every silo knows each one by the same incarnation as that silo knows itself.
        var selves = views.Values.Select(v => v.Self).Order(StringComparer.Ordinal).ToList();
        Assert.All(views.Values, v => Assert.Equal(selves, v.Members.Select(m => m.Address).Order(StringComparer.Ordinal)));

        var table = PostgresDatabase.Membership(cluster.ConnectionString, cluster.ClusterId);
        Assert.Equal(cluster.Silos.Select(s => s.SiloPort).Order(), table.Select(r => r.Port).Order());
        Assert.All(table, r => Assert.Equal(3, r.Status));
    }

    [Fact]
    public async Task A_silo_killed_mid_job_loses_no_acknowledged_report_and_rejoins_when_restarted()
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount: 3, workerCount: 3);
        var silos = cluster.Silos;
        var initial = await cluster.WaitForViewsAsync("each silo to see all three active", silos, (_, view) => SiloCluster.AllActive(view, silos));
        var job = await cluster.SubmitAsync(silos[0], VolunteerCluster.PrimesJob(UnitSize, DeadlineSeconds));
        Assert.Equal(Units, job.UnitCount);
        // The silo that dies is the one holding the job's grain, which must come back on a survivor from
        // the store; the worker whose first choice it is must fail over.
        var victim = await cluster.FindJobHostAsync(job.Id);
        var victimsWorker = cluster.Workers[silos.ToList().IndexOf(victim)];
        var survivors = silos.Where(s => s != victim).ToList();
        var victimGeneration = initial[victim].SelfGeneration;
        cluster.Log($"the job's grain lives on {victim.Name}, the first choice of {victimsWorker.Name}: both will be cut off");

        var sinceKill = new Stopwatch();
        var victimsWorkerFailuresAtKill = 0;
        // Reports acknowledged just before the kill may be logged just after it; these come after a failed sync.
        TimeSpan? failedOverAcknowledged = null;
        var beforeKill = await cluster.StartWorkersAsync(KillAfterAcknowledged,
            () =>
            {
                victim.KillNow();
                sinceKill.Start();
                victimsWorkerFailuresAtKill = victimsWorker.SyncFailures;
            },
            w =>
            {
                if (w == victimsWorker && w.SyncFailures > victimsWorkerFailuresAtKill)
                {
                    failedOverAcknowledged ??= sinceKill.Elapsed;
                }
            });
        await victim.KillAsync();
        cluster.Log($"{victim.Name} killed (SIGKILL) after {beforeKill.Count} acknowledged reports");

        // Both measured from the kill, concurrently: a call to a grain of the dead silo waits for its death.
        var answering = Task.Run(async () =>
        {
            await Eventually.WaitAsync("the survivors to answer for the job", async () =>
            {
                foreach (var survivor in survivors)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    await survivor.GetJobAsync(job.Id, timeout.Token);
                }
                return "answered";
            }, () => cluster.Diagnostics(), interval: TimeSpan.FromMilliseconds(50));
            return sinceKill.Elapsed;
        });
        var declaring = Task.Run(async () =>
        {
            await cluster.WaitForViewsAsync($"the survivors to declare {victim.Name} dead", survivors, (_, view) =>
                view.StatusOf(victim.SiloPort, victimGeneration) is { } status and not "Dead"
                    ? $"{victim.Name} still {status}"
                    : SiloCluster.AllActive(view, survivors));
            return sinceKill.Elapsed;
        });
        var answeredAfter = await answering;
        var declaredDeadAfter = await declaring;
        cluster.Log($"survivors answered job API calls for the job {answeredAfter.TotalSeconds:0.00} s after the kill; " +
            $"both declared {victim.Name} Dead {declaredDeadAfter.TotalSeconds:0.00} s after it");

        var finished = await cluster.WaitForJobAsync(survivors[0], job.Id);
        var completedAfter = sinceKill.Elapsed;
        var (replicas, all) = await AssertCompletedAndNothingLostAsync(cluster, finished, survivors[1], beforeKill, "the kill");
        // The survivors served the rest, the victim's worker included, which had to fail over.
        Assert.True(victimsWorker.SyncFailures > 0, $"{victimsWorker.Name} never failed to reach {victim.Name}.\n{victimsWorker.Tail()}");
        Assert.True(failedOverAcknowledged is not null,
            $"{victimsWorker.Name}, whose first choice was {victim.Name}, had nothing acknowledged after failing over.\n{victimsWorker.Tail()}");

        var reported = replicas.Count(r => r.State is "Valid" or "Invalid" or "Reported");
        cluster.Log($"FIGURES silo kill: {silos.Count} silos, {cluster.Workers.Count} workers, {Units} units (quorum {Quorum}); " +
            $"reports acknowledged: {all.Count} in total, {beforeKill.Count} before the kill; " +
            $"{all.Select(a => (a.UnitIndex, a.Replica)).Distinct().Count()} distinct acknowledged replicas, all in the database once; " +
            $"{reported} reported replica rows in the database ({replicas.Count} rows, {replicas.Count(r => r.State == "TimedOut")} timed out); " +
            $"kill -> survivors answer for the job: {answeredAfter.TotalSeconds:0.00} s; kill -> {victim.Name} declared Dead: {declaredDeadAfter.TotalSeconds:0.00} s; " +
            $"kill -> first report of {victimsWorker.Name} acknowledged after failing over ({victimsWorker.SyncFailures} failed syncs): {Seconds(failedOverAcknowledged)}; " +
            $"kill -> job completed: {completedAfter.TotalSeconds:0.00} s");

        // Back on the same ports: a new incarnation joins, the old one stays dead (or is cleaned up).
        var restart = Stopwatch.StartNew();
        await victim.StartAsync();
        var rejoined = await cluster.WaitForViewsAsync($"every silo to see the restarted {victim.Name} active", silos, (_, view) =>
            view.Newest(victim.SiloPort) is not { } newest || newest.Generation <= victimGeneration
                ? $"no new incarnation of {victim.Name}"
                : view.StatusOf(victim.SiloPort, victimGeneration) is { } old and not "Dead"
                    ? $"the old incarnation of {victim.Name} is {old}"
                    : SiloCluster.AllActive(view, silos));
        var newGeneration = rejoined[victim].SelfGeneration;
        Assert.True(newGeneration > victimGeneration, $"{victim.Name} rejoined as generation {newGeneration}, not newer than {victimGeneration}.");
        Assert.All(rejoined.Values, v => Assert.Equal(newGeneration, v.Newest(victim.SiloPort)!.Generation));
        var table = PostgresDatabase.Membership(cluster.ConnectionString, cluster.ClusterId);
        Assert.Contains((victim.SiloPort, victimGeneration, 6), table);
        Assert.Contains((victim.SiloPort, newGeneration, 3), table);
        Assert.Equal("Completed", (await victim.GetJobAsync(job.Id)).State);
        cluster.Log($"{victim.Name} restarted as generation {newGeneration} (was {victimGeneration}) and seen Active by every silo " +
            $"{restart.Elapsed.TotalSeconds:0.00} s after its start");
    }

    [Fact]
    public async Task The_whole_cluster_killed_mid_job_resumes_from_the_database()
    {
        await using var cluster = await SiloCluster.StartAsync(output, postgres, siloCount: 3, workerCount: 3);
        var silos = cluster.Silos;
        var before = await cluster.WaitForViewsAsync("each silo to see all three active", silos, (_, view) => SiloCluster.AllActive(view, silos));
        var job = await cluster.SubmitAsync(silos[0], VolunteerCluster.PrimesJob(UnitSize, DeadlineSeconds));
        Assert.Equal(Units, job.UnitCount);

        var beforeKill = await cluster.StartWorkersAsync(KillAfterAcknowledged, () =>
        {
            foreach (var silo in silos)
            {
                silo.KillNow();
            }
        });
        foreach (var silo in silos)
        {
            await silo.KillAsync();
        }
        var atKill = PostgresDatabase.Replicas(cluster.ConnectionString, job.Id);
        cluster.Log($"every silo killed (SIGKILL) after {beforeKill.Count} acknowledged reports; " +
            $"{atKill.Count(r => r.State is "Valid" or "Reported")} replicas reported in the database");
        StoreAssertions.NoAcknowledgedReportLost(atKill, beforeKill, job.Id);

        // Started together, as after an outage: each new incarnation retires its predecessor on the same
        // endpoint, so none waits for the dead ones to answer its join probes.
        var restart = Stopwatch.StartNew();
        await cluster.StartSilosAsync(silos);
        var healthyAfter = restart.Elapsed;
        var after = await cluster.WaitForViewsAsync("every restarted silo to see all three active", silos, (_, view) =>
            silos.FirstOrDefault(s => view.Newest(s.SiloPort) is not { } newest || newest.Generation <= before[s].SelfGeneration) is { } stale
                ? $"no new incarnation of {stale.Name}"
                : SiloCluster.AllActive(view, silos));
        cluster.Log($"every silo restarted on the same database: healthy after {healthyAfter.TotalSeconds:0.00} s, " +
            $"one cluster again after {restart.Elapsed.TotalSeconds:0.00} s ({string.Join(", ", after.Values.Select(v => v.Self))})");

        var finished = await cluster.WaitForJobAsync(silos[2], job.Id);
        var completedAfter = restart.Elapsed;
        var (replicas, all) = await AssertCompletedAndNothingLostAsync(cluster, finished, silos[1], beforeKill, "the restart");
        cluster.Log($"FIGURES whole-cluster kill: {silos.Count} silos, {cluster.Workers.Count} workers, {Units} units; " +
            $"reports acknowledged: {all.Count} in total, {beforeKill.Count} before the kill; " +
            $"{replicas.Count(r => r.State is "Valid" or "Invalid" or "Reported")} reported replica rows in the database " +
            $"({replicas.Count(r => r.State == "TimedOut")} timed out); restart -> job completed: {completedAfter.TotalSeconds:0.00} s");
    }

    /// <summary>
    /// The job completed with the known answer, every replica row is there once, every unit has its quorum
    /// from distinct workers, no acknowledged report (before the fault, or at all) is lost, and work went on after the fault.
    /// </summary>
    private static async Task<(IReadOnlyList<ReplicaRow> Replicas, IReadOnlyList<AcknowledgedReport> All)> AssertCompletedAndNothingLostAsync(
        SiloCluster cluster, JobSnapshot finished, CoordinatorProcess resultFrom, IReadOnlyList<AcknowledgedReport> beforeFault, string fault)
    {
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.Equal(Units, finished.Assimilated);
        var (_, _, result) = await resultFrom.GetResultAsync(finished.Id);
        Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());

        var replicas = PostgresDatabase.Replicas(cluster.ConnectionString, finished.Id);
        var all = cluster.AllAcknowledged();
        Assert.Equal(replicas.Count, replicas.Select(r => (r.UnitIndex, r.Replica)).Distinct().Count());
        StoreAssertions.NoAcknowledgedReportLost(replicas, beforeFault, finished.Id);
        StoreAssertions.NoAcknowledgedReportLost(replicas, all, finished.Id);
        StoreAssertions.EveryUnitValidByDistinctWorkers(replicas, Units, Quorum, cluster.Workers.Select(w => w.WorkerId).ToList());
        Assert.True(all.Count > beforeFault.Count, $"No report was acknowledged after {fault}.\n{cluster.Diagnostics()}");
        return (replicas, all);
    }

    private static string Seconds(TimeSpan? elapsed) => elapsed is { } value ? $"{value.TotalSeconds:0.00} s" : "never";
}

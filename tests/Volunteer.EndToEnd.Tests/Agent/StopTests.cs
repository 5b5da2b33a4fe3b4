using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>SIGTERM, as a service manager stops the agent: units checkpoint, what finished is sent, the process exits within 5 s.</summary>
public sealed class StopTests(ITestOutputHelper output)
{
    /// <summary>The most the issue allows from SIGTERM to exit.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task SIGTERM_with_a_unit_running_and_reports_just_finished_exits_within_5_s_and_loses_nothing()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var worker = cluster.Workers[0];
        worker.Slots = 2;
        // One long unit that computes through the stop, and short ones that finish around it, each computed once.
        var longJob = await cluster.SubmitAsync(cluster.Coordinator, Primes(from: 0, to: 2_000_000_000, unitSize: 2_000_000_000));
        var shortJob = await cluster.SubmitAsync(cluster.Coordinator, Primes(from: 0, to: 10_000_000, unitSize: 20_000));
        var longUnit = WorkerProcess.KeyOf(longJob.Id, 0, 0);

        worker.Start();
        // Stopped the moment a short unit has finished, with the long one computing: that report has not gone up yet.
        await Eventually.UntilAsync(
            "the long unit computing and three short ones finished",
            () => WorkerProcess.ReplicaKeys(worker.Lines, "Unit started").Contains(longUnit)
                  && WorkerProcess.ReplicaKeys(worker.Lines, "Unit finished").Count(k => k != longUnit) >= 3,
            () => worker.Tail(60),
            interval: TimeSpan.FromMilliseconds(1));
        var (exitCode, took) = await worker.TerminateAsync(TimeSpan.FromSeconds(30));
        cluster.Log($"{worker.Name} exited with {exitCode} {took.TotalSeconds:0.00} s after SIGTERM");

        Assert.Equal(0, exitCode);
        Assert.True(took <= StopBound, $"The agent took {took.TotalSeconds:0.00} s to exit.\n{worker.Tail(60)}");
        var lines = worker.Lines;
        var finished = WorkerProcess.ReplicaKeys(lines, "Unit finished");
        Assert.DoesNotContain(longUnit, finished);
        var (leased, outbox) = worker.StateFiles();
        // The unit stopped mid-way keeps its lease for the next run.
        Assert.Contains(longUnit, leased);
        // Every report finished reached the coordinator or waits in the outbox: none is lost.
        var reported = VolunteerDatabase.Replicas(cluster.Coordinator.DatabasePath, shortJob.Id)
            .Where(r => r.WorkerId == worker.WorkerId && r.State is "Reported" or "Valid" or "Invalid")
            .Select(r => WorkerProcess.KeyOf(r.JobId, r.UnitIndex, r.Replica))
            .ToHashSet();
        var lost = finished.Where(k => !reported.Contains(k) && !outbox.Contains(k)).ToList();
        Assert.True(lost.Count == 0, $"Finished but neither reported nor in the outbox: {string.Join(", ", lost)}\n{worker.Tail(60)}");
        Assert.Contains(lines, l => l.Contains("Stopped;", StringComparison.Ordinal));
        cluster.Log($"{finished.Count} unit(s) finished: {reported.Count} reported, {outbox.Count} in the outbox; {leased.Count} lease(s) kept");
    }

    private static object Primes(long from, long to, long unitSize) => new
    {
        app = "primes",
        parameters = new { from, to, unitSize },
        redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 3, maxTotalResults = 3 },
    };
}

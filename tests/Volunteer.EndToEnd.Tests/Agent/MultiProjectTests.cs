using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>One agent process attached to two projects (two real coordinators), as BOINC's client is to several.</summary>
public sealed class MultiProjectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task One_agent_attached_to_two_coordinators_with_shares_300_and_100_computes_both_projects_jobs()
    {
        await using var first = await VolunteerCluster.StartAsync(output, workerCount: 0);
        await using var second = await VolunteerCluster.StartAsync(output, workerCount: 0);
        var folder = TestFolders.Create("multi-project");
        try
        {
            await using var agent = new WorkerProcess("agent", Path.Combine(folder, "agent"), folder, LoopbackSources.Next()) { Slots = 2 };
            await agent.AttachAsync([first.Coordinator.BaseAddress], share: 300);
            var firstWorker = agent.WorkerId;
            await agent.AttachAsync([second.Coordinator.BaseAddress], share: 100);
            var secondWorker = agent.WorkerId;
            var firstJob = await first.SubmitAsync(first.Coordinator, PrimesQuorumOne());
            var secondJob = await second.SubmitAsync(second.Coordinator, PrimesQuorumOne());

            agent.Start();
            var firstDone = await first.WaitForJobAsync(first.Coordinator, firstJob.Id);
            var secondDone = await second.WaitForJobAsync(second.Coordinator, secondJob.Id);

            Assert.True(firstDone.State == "Completed", $"{firstDone.Json}\n{agent.Tail(60)}");
            Assert.True(secondDone.State == "Completed", $"{secondDone.Json}\n{agent.Tail(60)}");
            foreach (var (cluster, job) in new[] { (first, firstJob), (second, secondJob) })
            {
                var (_, _, result) = await cluster.Coordinator.GetResultAsync(job.Id);
                Assert.Equal(VolunteerCluster.PrimesBelowTenMillion, result.GetProperty("primeCount").GetInt64());
            }
            // Each project's units were computed by this one agent, under the worker id that project gave it.
            Assert.All(VolunteerDatabase.Replicas(first.Coordinator.DatabasePath, firstJob.Id), r => Assert.Equal((firstWorker, "Valid"), (r.WorkerId!.Value, r.State)));
            Assert.All(VolunteerDatabase.Replicas(second.Coordinator.DatabasePath, secondJob.Id), r => Assert.Equal((secondWorker, "Valid"), (r.WorkerId!.Value, r.State)));
            // One process ran both, each project with its share.
            Assert.Contains(agent.Lines, l => l.Contains($"Project {Path.GetFileName(agent.ProjectDirectoryOf(first.Coordinator.BaseAddress))}: worker {firstWorker}, resource share 300, 2 slots", StringComparison.Ordinal));
            Assert.Contains(agent.Lines, l => l.Contains($"Project {Path.GetFileName(agent.ProjectDirectoryOf(second.Coordinator.BaseAddress))}: worker {secondWorker}, resource share 100, 2 slots", StringComparison.Ordinal));
            Assert.Contains(agent.Lines, l => l.Contains("Agent running 2 project(s) on 2 slots", StringComparison.Ordinal));
            first.Log($"both jobs completed; the agent acknowledged {agent.AcknowledgedCount} reports");
        }
        finally
        {
            TestFolders.Delete(folder, output);
        }
    }

    /// <summary>A primes job over [0, 10^7) in 20 units, each computed once (quorum 1): one agent can finish it.</summary>
    private static object PrimesQuorumOne() => new
    {
        app = "primes",
        parameters = new { from = 0, to = 10_000_000, unitSize = 500_000 },
        redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 3, maxTotalResults = 3 },
    };
}

using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>Eight real workers read one 16 MiB input: the coordinator is the index, the bytes move between the volunteers.</summary>
public sealed class SharedInputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Eight_workers_count_motifs_in_a_16_MiB_sequence_and_the_coordinator_serves_at_most_twice_its_bytes()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 8);
        var coordinator = cluster.Coordinator;
        var sequence = SharedInputs.Sequence(16 * SharedInputs.MiB, seed: 11);
        var motifs = SharedInputs.Motifs(16, seed: 11);
        var digest = await coordinator.UploadBlobAsync(sequence);

        // Volunteers are running when the job arrives: the coordinator has reached their endpoints and lists them.
        cluster.StartWorkers();
        await Eventually.UntilAsync("every worker to be listed as a peer",
            () => coordinator.Lines.Count(l => l.Contains("listed as a peer", StringComparison.Ordinal)) >= 8, () => cluster.Diagnostics());
        var submitted = await cluster.SubmitAsync(coordinator, SharedInputs.MotifsJob(digest, motifs, motifsPerUnit: 2));
        Assert.Equal(8, submitted.UnitCount);
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);

        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(SharedInputs.ReferenceCounts(sequence, motifs), SharedInputs.CountsIn(result));
        var relay = SharedInputs.RelayOf(await coordinator.GetJsonAsync(Routes.Job(submitted.Id)));
        cluster.Log($"relay: {relay}; coordinator served {(double)relay.CoordinatorBytes / sequence.Length:0.00} x the input");
        Assert.True(relay.CoordinatorBytes <= 2L * sequence.Length,
            $"The coordinator served {relay.CoordinatorBytes} bytes of a {sequence.Length}-byte input to 8 workers: {relay}\n{cluster.Diagnostics()}");
        Assert.True(relay.PeerBytes > 0, $"No bytes came from peers: {relay}");
        Assert.Equal(0, relay.BadChunks);
    }
}

using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>
/// BOINC's first reason to give up on BitTorrent was poisoned data. Here a listed peer serves corrupted chunks:
/// every one is refused on arrival, the peer is reported, unlisted and flagged, and the job's result is right.
/// </summary>
public sealed class PoisonedSwarmTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Corrupted_chunks_are_refused_the_peer_is_unlisted_and_the_result_is_right()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 4);
        var coordinator = cluster.Coordinator;
        var sequence = SharedInputs.Sequence(8 * SharedInputs.MiB, seed: 23);
        var motifs = SharedInputs.Motifs(8, seed: 23);
        var digest = await coordinator.UploadBlobAsync(sequence);
        await using var poisoner = await CorruptingPeer.StartAsync(coordinator.BaseAddress, sequence);
        // The coordinator lists it only once it has connected back to its endpoint.
        await Eventually.WaitAsync("the corrupting peer to be listed",
            async () => (await poisoner.AdvertiseAsync(digest)).Peer is { Listed: true } ? "listed" : null,
            () => cluster.Diagnostics(), interval: TimeSpan.FromMilliseconds(300));

        var submitted = await cluster.SubmitAsync(coordinator, SharedInputs.MotifsJob(digest, motifs, motifsPerUnit: 1));
        // Two volunteers of two accounts meet the poisoner first: the only holder listed when they start.
        cluster.Workers[0].Start();
        cluster.Workers[1].Start();
        await Eventually.WaitAsync("the corrupting peer to be flagged", async () =>
            (await coordinator.GetJsonAsync($"{Routes.Hosts}?flagged=true")).EnumerateArray()
                .Any(h => h.GetProperty("workerId").GetGuid() == poisoner.WorkerId) ? "flagged" : null,
            () => cluster.Diagnostics());
        await Eventually.UntilAsync("the first two workers to report", () => cluster.Workers.Take(2).All(w => w.AcknowledgedCount > 0), () => cluster.Diagnostics());
        var servedBeforeTheOthers = poisoner.ChunksServed;
        cluster.Log($"the poisoner served {servedBeforeTheOthers} corrupted chunk(s) before it was unlisted");
        Assert.True(servedBeforeTheOthers > 0, "Nobody fetched from the corrupting peer: the test proves nothing.");

        cluster.Workers[2].Start();
        cluster.Workers[3].Start();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);

        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(SharedInputs.ReferenceCounts(sequence, motifs), SharedInputs.CountsIn(result));
        var relay = SharedInputs.RelayOf(await coordinator.GetJsonAsync(Routes.Job(submitted.Id)));
        cluster.Log($"relay: {relay}");
        Assert.True(relay.BadChunks >= 1, $"No bad chunk was counted: {relay}");
        // Unlisted: the workers that started after it was flagged never asked it for anything.
        Assert.Equal(servedBeforeTheOthers, poisoner.ChunksServed);
        // And it is no longer listed to anyone: its own advert is answered as unlisted.
        Assert.False((await poisoner.AdvertiseAsync(digest)).Peer?.Listed ?? false);
    }
}

using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>
/// BOINC's third reason: downloads stalled when the peers holding a file left. Here the only peer holding the input is
/// killed (kill -9) while another worker fetches from it: that fetch completes from the others (the coordinator
/// serves what no peer can) and the job's result is right.
/// </summary>
public sealed class HolderLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_holder_killed_mid_transfer_does_not_stop_the_fetch()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var coordinator = cluster.Coordinator;
        var (holder, fetcher, other) = (cluster.Workers[0], cluster.Workers[1], cluster.Workers[2]);
        // The holder uploads at 1 MiB/s: the 16 MiB input takes it long enough to serve that the kill lands mid-transfer.
        holder.Settings["Worker__UploadBytesPerSecond"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sequence = SharedInputs.Sequence(16 * SharedInputs.MiB, seed: 31);
        var motifs = SharedInputs.Motifs(6, seed: 31);
        var digest = await coordinator.UploadBlobAsync(sequence);
        // Units whose lease the killed holder keeps come back after 20 s.
        var submitted = await cluster.SubmitAsync(coordinator, SharedInputs.MotifsJob(digest, motifs, motifsPerUnit: 1, deadlineSeconds: 20));

        holder.Start();
        await Eventually.UntilAsync("the holder to report a unit (it holds the input)", () => holder.AcknowledgedCount > 0, () => cluster.Diagnostics());
        // Only a holder the coordinator has reached is named to others: under load its connect-back can trail its first report.
        await Eventually.UntilAsync("the holder to be listed as a peer",
            () => coordinator.Lines.Any(l => l.Contains($"Host {holder.WorkerId} listed as a peer", StringComparison.Ordinal)), () => cluster.Diagnostics());
        fetcher.Start();
        // The holder dies once the fetcher has a first whole chunk of the 16 from it (the cache appends each chunk's index
        // to "held" as it is durably in; peers are asked before the coordinator). Not after a fixed time: the holder's
        // 1 MiB/s is shared by the fetcher's four chunk requests in flight, so a first chunk takes about 4 s, longer under
        // load, and a holder killed before one arrived would have given nothing (a CI run saw that).
        var cached = Path.Combine(fetcher.ProjectDirectory, "blobs", digest["sha256:".Length..]);
        var held = new FileInfo(Path.Combine(cached, "held"));
        await Eventually.UntilAsync("the fetcher to hold a first chunk of the input",
            () => { held.Refresh(); return held.Exists && held.Length >= sizeof(int); }, () => cluster.Diagnostics(),
            interval: TimeSpan.FromMilliseconds(50));
        var completeAtTheKill = File.Exists(Path.Combine(cached, "blob"));
        await holder.KillAsync();
        cluster.Log($"holder killed; the fetcher had {(completeAtTheKill ? "the whole input already" : "part of the input")}");
        Assert.False(completeAtTheKill, "The fetcher had the whole input before the holder was killed: the test proves nothing.");
        other.Start();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);

        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        Assert.True(fetcher.AcknowledgedCount > 0, $"The fetcher never reported a unit.\n{fetcher.Tail()}");
        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        Assert.Equal(SharedInputs.ReferenceCounts(sequence, motifs), SharedInputs.CountsIn(result));
        var relay = SharedInputs.RelayOf(await coordinator.GetJsonAsync(Routes.Job(submitted.Id)));
        cluster.Log($"relay: {relay}");
        Assert.True(relay.PeerBytes > 0, $"Nothing came from a peer: {relay}");
    }
}

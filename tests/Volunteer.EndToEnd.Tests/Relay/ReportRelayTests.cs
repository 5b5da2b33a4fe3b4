using System.Net;
using System.Net.Http.Json;
using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>
/// A worker that loses its coordinator hands its signed reports to a peer that can still reach it; the peer forwards
/// them in its own sync, the coordinator checks the origin's signature and credits the origin, once.
/// </summary>
public sealed class ReportRelayTests(ITestOutputHelper output)
{
    /// <summary>The primes below 10^10 (a fact nobody here invented).</summary>
    private const long PrimesBelowTenBillion = 455_052_511;

    [Fact]
    public async Task A_worker_cut_off_from_every_coordinator_gets_its_reports_through_by_relay_and_is_credited()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var coordinator = cluster.Coordinator;
        await using var link = new TcpProxy(new IPEndPoint(IPAddress.Loopback, coordinator.BaseAddress.Port));
        var folder = TestFolders.Create("relay");
        try
        {
            await using var cutOff = new WorkerProcess("cut-off", Path.Combine(folder, "cut-off"), folder, LoopbackSources.Next());
            cutOff.Settings["Worker__RelayAfter"] = "00:00:02";
            // Its only way to the project is the link the test cuts.
            await cutOff.AttachAsync([link.Address]);
            // The peers first, idle until the coordinator has reached their endpoints and lists them.
            cluster.StartWorkers();
            await Eventually.UntilAsync("both peers to be listed",
                () => coordinator.Lines.Count(l => l.Contains("listed as a peer", StringComparison.Ordinal)) >= 2, () => cluster.Diagnostics());
            // The sync that acknowledges the cut-off worker's first report also leases its next unit and names its relay
            // peers: the link is cut then, so that unit's report has no way up but a peer.
            cutOff.OnAcknowledged = (_, _) =>
            {
                if (link.IsRunning)
                {
                    _ = link.StopAsync();
                }
            };
            cutOff.Start();
            // Units of 5 * 10^8 numbers: long enough that the cut lands while the worker holds one.
            var submitted = await cluster.SubmitAsync(coordinator, new
            {
                app = "primes",
                parameters = new { from = 0, to = 10_000_000_000, unitSize = 500_000_000 },
                redundancy = new { targetResults = 2, minQuorum = 2 },
                adaptive = false,
                deadlineSeconds = 30,
            });
            var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);

            Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cutOff.Tail()}\n{cluster.Diagnostics()}");
            var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
            Assert.Equal(PrimesBelowTenBillion, result.GetProperty("primeCount").GetInt64());
            Assert.False(link.IsRunning);
            var acknowledgedDirectly = cutOff.Acknowledged.Select(r => (r.UnitIndex, r.Replica)).ToHashSet();
            var validOfCutOff = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id)
                .Where(r => r.WorkerId == cutOff.WorkerId && r.State == "Valid").Select(r => (r.UnitIndex, r.Replica)).ToList();
            var relayed = validOfCutOff.Where(r => !acknowledgedDirectly.Contains(r)).ToList();
            cluster.Log($"cut-off worker: {acknowledgedDirectly.Count} report(s) acknowledged to it, {validOfCutOff.Count} valid replica(s) of it in the store");
            Assert.NotEmpty(relayed);
            var relay = SharedInputs.RelayOf(await coordinator.GetJsonAsync(Routes.Job(submitted.Id)));
            Assert.True(relay.ReportsRelayed >= relayed.Count, $"{relayed.Count} report(s) came by relay, the job counts {relay}");
            // Credited to the origin: every valid replica of it, relayed ones included, 500 credits each (5 * 10^8 numbers).
            var account = await coordinator.GetJsonAsync(Routes.Account(cutOff.AccountId));
            Assert.Equal(validOfCutOff.Count, account.GetProperty("credit").GetProperty("validResults").GetInt64());
            Assert.Equal(500.0 * validOfCutOff.Count, account.GetProperty("credit").GetProperty("total").GetDouble(), 6);
        }
        finally
        {
            TestFolders.Delete(folder, output);
        }
    }

    [Fact]
    public async Task An_altered_relayed_report_is_refused_by_the_peer_and_by_the_coordinator_and_a_replayed_one_counts_once()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var coordinator = cluster.Coordinator;
        var peer = cluster.Workers[0];
        var submitted = await cluster.SubmitAsync(coordinator, new
        {
            app = "primes",
            parameters = new { from = 0, to = 1_000_000, unitSize = 100_000 },
            redundancy = new { targetResults = 2, minQuorum = 2 },
            adaptive = false,
        });
        peer.Start();
        await Eventually.UntilAsync("the peer to report once", () => peer.AcknowledgedCount > 0, () => cluster.Diagnostics());

        // The origin: a volunteer host that leases a unit and learns its pass, then signs its report.
        using var originHttp = LoopbackSources.Client(LoopbackSources.Next());
        using var origin = new SimulatedHost(originHttp, coordinator.BaseAddress);
        (await origin.PostAttachAsync("origin", cores: 1)).Dispose();
        var leased = await SyncAsync(origin, new SyncRequest([], [], 1, Peer: new PeerAdvert(null)));
        var assignment = Assert.Single(leased.Assignments);
        var pass = leased.Peer?.Pass ?? throw new InvalidOperationException("The sync answer carried no pass.");
        var honest = new[] { await SimulatedHost.ComputeAsync(assignment) };
        var signature = origin.Sign(honest);
        var altered = new[] { SimulatedHost.Success(assignment.Ref, "{\"primeCount\":1}"u8.ToArray()) };

        // The real peer checks a bundle before it keeps it: an altered one is refused there.
        using var peerHttp = LoopbackSources.Client(LoopbackSources.Next());
        using (var refused = await peerHttp.PostAsJsonAsync(new Uri(peer.PeerEndpoint, PeerRoutes.Relay), new RelayBundle(pass, altered, signature), ProtocolJson.Options))
        {
            Assert.True((int)refused.StatusCode is >= 400 and < 500, $"The peer answered {(int)refused.StatusCode} to an altered bundle.");
        }

        // A carrier that forwards it anyway: the coordinator refuses it, and its own sync goes through.
        using var carrierHttp = LoopbackSources.Client(LoopbackSources.Next());
        using var carrier = new SimulatedHost(carrierHttp, coordinator.BaseAddress);
        (await carrier.PostAttachAsync("carrier", cores: 1)).Dispose();
        var alteredOutcome = Assert.Single((await SyncAsync(carrier, new SyncRequest(Relayed: [new RelayedReports(origin.Id, altered, signature)]))).Relayed!);
        Assert.Equal(0, alteredOutcome.Accepted);
        Assert.Equal("BadSignature", Assert.Single(alteredOutcome.Refused).Code);

        // The honest bundle goes through once; the same bundle again is a replay.
        var accepted = Assert.Single((await SyncAsync(carrier, new SyncRequest(Relayed: [new RelayedReports(origin.Id, honest, signature)]))).Relayed!);
        Assert.Equal(1, accepted.Accepted);
        var replayed = Assert.Single((await SyncAsync(carrier, new SyncRequest(Relayed: [new RelayedReports(origin.Id, honest, signature)]))).Relayed!);
        Assert.Equal(0, replayed.Accepted);
        Assert.NotEmpty(replayed.Refused);
        var row = VolunteerDatabase.Replicas(coordinator.DatabasePath, submitted.Id).Single(r => r.UnitIndex == assignment.UnitIndex && r.Replica == assignment.Replica);
        Assert.Equal(origin.Id, row.WorkerId);
        Assert.NotEqual("Assigned", row.State);
    }

    private static async Task<SyncResponse> SyncAsync(SimulatedHost host, SyncRequest request)
    {
        using var response = await (await host.PostSyncAsync(request)).ExpectAsync(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
    }
}

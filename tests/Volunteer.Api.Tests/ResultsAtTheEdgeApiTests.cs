using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// Results above the inline limit stay with the workers that computed them: they report a digest and a size, the
/// coordinator validates and credits the unit by the digests, then takes the canonical payload from one of the hosts
/// that agreed on it, from its peer endpoint with a ticket, or, from a host it cannot reach, by asking it to upload;
/// the job completes once every payload is in, and the holders are told they may drop their copies.
/// </summary>
public sealed class ResultsAtTheEdgeApiTests(EdgeResultsCoordinatorFactory factory) : IClassFixture<EdgeResultsCoordinatorFactory>, IAsyncLifetime
{
    /// <summary>
    /// Well above the 64 KiB inline limit. Each test's payloads are of a size of their own: blobs are content-addressed,
    /// and one a test before stored would be found in the store rather than taken from the edge.
    /// </summary>
    private const int PayloadSize = 200_000;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly HttpClient _jobs = factory.CreateJobsClient();
    private readonly List<IDisposable> _hosts = [];

    public Task InitializeAsync() => Api.CancelRunningJobsAsync(_jobs);

    public Task DisposeAsync()
    {
        _hosts.ForEach(h => h.Dispose());
        _jobs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_job_whose_results_stay_at_the_edge_completes_once_the_coordinator_pulls_the_payload_from_a_listed_holder_with_a_ticket()
    {
        var alice = await AttachAsync("alice", "127.0.81.1");
        var bob = await AttachAsync("bob", "127.0.82.1");
        await using var alicesPeer = await BlobServingPeer.StartAsync(alice.Address, alice.Id, factory.Key.PublicKey);
        await ListAsync(alice, alicesPeer);
        var job = await Api.SubmitAsync(_jobs, BulkyResultsApp.Job(units: 1, PayloadSize));
        var aliceLease = Assert.Single(await alice.LeaseAsync(1));
        var bobLease = Assert.Single(await bob.LeaseAsync(1));
        var payload = BulkyResultsApp.PayloadOf(0, PayloadSize);
        var digest = ContentDigest.Of(payload);
        alicesPeer.Hold(payload);

        await alice.SyncAsync(new SyncRequest([AtTheEdge(aliceLease)], Peer: new PeerAdvert(alicesPeer.Port)));
        var bobsAnswer = await bob.SyncAsync(new SyncRequest([AtTheEdge(bobLease)], Peer: new PeerAdvert(null)));
        var done = await CompletedAsync(job.Id);

        Assert.Equal(1, bobsAnswer.Accepted);
        Assert.Equal(BulkyResultsApp.ResultOf(1, PayloadSize), done.Result!.Value.GetRawText());
        Assert.Equal(new UnitCounts(0, 0, 0, 1, 0), done.Units);
        Assert.Equal(JobRelay.None with { ResultsPulled = 1 }, done.Relay);
        // Alice's endpoint served it once, to the coordinator's own ticket for this job's payload, and refused nobody.
        var ticket = Assert.Single(alicesPeer.Tickets);
        Assert.Equal((digest, Guid.Empty, job.Id), (ticket.Digest, ticket.WorkerId, ticket.JobId));
        Assert.Equal(0, alicesPeer.Refused);
        // Without a ticket her endpoint serves nothing.
        using (var stranger = new HttpClient())
        using (var refused = await stranger.GetAsync(new Uri(alicesPeer.BaseAddress, PeerRoutes.Blob(digest))))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        await AssertKeptWithTheJobAsync(job.Id, payload);
        // Both holders hear that the coordinator has it.
        await ReleasedAsync(alice, digest, new PeerAdvert(alicesPeer.Port));
        await ReleasedAsync(bob, digest, new PeerAdvert(null));
        // The replicas keep no payload: it is in the blob store, once.
        Assert.Null((await factory.FindReplicaAsync(aliceLease.Ref))!.Payload);
        Assert.Equal(ReplicaState.Valid, (await factory.FindReplicaAsync(bobLease.Ref))!.State);
    }

    [Fact]
    public async Task A_holder_that_is_not_listed_is_asked_to_upload_the_payload_and_only_the_payload_it_was_asked_for_is_taken()
    {
        const int UploadedSize = PayloadSize + 1;
        var carol = await AttachAsync("carol", "127.0.83.1");
        var dave = await AttachAsync("dave", "127.0.84.1");
        var job = await Api.SubmitAsync(_jobs, BulkyResultsApp.Job(units: 1, UploadedSize));
        var carolLease = Assert.Single(await carol.LeaseAsync(1));
        var daveLease = Assert.Single(await dave.LeaseAsync(1));
        var payload = BulkyResultsApp.PayloadOf(0, UploadedSize);
        var digest = ContentDigest.Of(payload);

        // Neither serves anything (behind NAT, say): the coordinator asks the canonical replica's host, Carol, to upload.
        await carol.SyncAsync(new SyncRequest([AtTheEdge(carolLease)], Peer: new PeerAdvert(null)));
        await dave.SyncAsync(new SyncRequest([AtTheEdge(daveLease)], Peer: new PeerAdvert(null)));
        await AskedToUploadAsync(carol, digest);
        var waiting = await Api.GetJobAsync(_jobs, job.Id);

        // Dave was not asked (yet): his upload is refused and nothing is kept.
        await AssertUploadRefusedAsync(dave, digest, payload, HttpStatusCode.Conflict);
        // Carol was, but these bytes are not the payload, and these are more than any payload may be: refused, nothing
        // kept, and she is still asked.
        var tampered = (byte[])payload.Clone();
        tampered[UploadedSize / 2] ^= 0xff;
        await AssertUploadRefusedAsync(carol, digest, tampered, HttpStatusCode.BadRequest, "Nothing was kept");
        await AssertUploadRefusedAsync(carol, digest, new byte[EdgeResultsCoordinatorFactory.MaxResultBytes + 1], HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(JobState.Running, (await Api.GetJobAsync(_jobs, job.Id)).State);
        using (var upload = await UploadAsync(carol, digest, payload))
        {
            await Api.AssertStatusAsync(upload, HttpStatusCode.NoContent);
        }
        var done = await CompletedAsync(job.Id);

        Assert.Equal((JobState.Running, new UnitCounts(0, 0, 1, 0, 0)), (waiting.State, waiting.Units));
        Assert.Equal(BulkyResultsApp.ResultOf(1, UploadedSize), done.Result!.Value.GetRawText());
        Assert.Equal(JobRelay.None with { ResultsPulled = 1 }, done.Relay);
        await AssertKeptWithTheJobAsync(job.Id, payload);
        await ReleasedAsync(carol, digest, new PeerAdvert(null));
        await ReleasedAsync(dave, digest, new PeerAdvert(null));
    }

    [Fact]
    public async Task An_upload_nobody_asked_for_is_refused_and_stores_nothing()
    {
        var erin = await AttachAsync("erin", "127.0.85.1");
        var stray = BulkyResultsApp.PayloadOf(7, 1000);
        var digest = ContentDigest.Of(stray);

        await AssertUploadRefusedAsync(erin, digest, stray, HttpStatusCode.Conflict, "has not asked this worker");
        using (var anonymous = factory.CreateClient())
        using (var response = await anonymous.PutAsync("/" + Routes.WorkerBlob(digest), new ByteArrayContent(stray)))
        {
            await Api.AssertStatusAsync(response, HttpStatusCode.Unauthorized);
        }
        using (var response = await UploadAsync(erin, "sha256:not-a-digest", stray))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "is not a blob digest");
        }
        Assert.Null(await factory.Blobs.FindAsync(digest));
    }

    [Fact]
    public async Task Relay_figures_counted_for_a_job_add_up_are_stored_with_it_and_show_in_its_view_after_it_ended_and_its_grain_came_back()
    {
        var job = await Api.SubmitAsync(_jobs, BulkyResultsApp.Job(units: 1, size: 1000));
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var grain = grains.GetGrain<IJobGrain>(job.Id);

        await grain.CountRelayAsync(new JobRelay(1000, 0, 0, 0, 0));
        await grain.CountRelayAsync(new JobRelay(24, 4096, 2, 0, 3));
        var running = new JobRelay(1024, 4096, 2, 0, 3);
        await StoredAsync(job.Id, running);
        var view = await Api.GetJobAsync(_jobs, job.Id);
        await Api.CancelAsync(_jobs, job.Id);
        // Its grain goes; the one that comes back has the job ended, no workbook, and the stored figures to add to.
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await grain.CountRelayAsync(new JobRelay(1, 0, 0, 0, 0));
        var ended = running with { CoordinatorBytes = 1025 };
        await StoredAsync(job.Id, ended);
        var afterwards = await Api.GetJobAsync(_jobs, job.Id);

        Assert.Equal(running, view.Relay);
        Assert.Equal((JobState.Cancelled, ended), (afterwards.State, afterwards.Relay));
    }

    private async Task StoredAsync(Guid jobId, JobRelay figures) =>
        Assert.True(await Api.EventuallyAsync(async () => (await factory.Store.FindJobRelayAsync(jobId))?.Figures == figures, Patience),
            $"Job {jobId}'s stored relay figures never became {figures}: {(await factory.Store.FindJobRelayAsync(jobId))?.Figures}");

    private async Task<AccountHost> AttachAsync(string name, string address)
    {
        var host = await AccountHost.AttachAsync(factory, name, address, accountKey: null);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A success report of the lease's unit with its payload left at the edge: digest and size only.</summary>
    private static ReplicaReport AtTheEdge(Assignment lease)
    {
        Assert.Equal(BulkyResultsApp.AppName, lease.App);
        var payload = BulkyResultsApp.PayloadOf(lease.UnitIndex, lease.Input.GetProperty("size").GetInt32());
        return new ReplicaReport(lease.JobId, lease.UnitIndex, lease.Replica, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length);
    }

    /// <summary>Advertises the host's peer endpoint until the coordinator has reached it and lists it.</summary>
    private static async Task ListAsync(AccountHost host, BlobServingPeer peer) =>
        Assert.True(await Api.EventuallyAsync(
            async () => (await host.SyncAsync(new SyncRequest(Peer: new PeerAdvert(peer.Port)))).Peer?.Listed == true, Patience),
            $"The coordinator never listed {host.Name}'s peer endpoint {peer.BaseAddress}.");

    private static async Task AskedToUploadAsync(AccountHost host, string digest) =>
        Assert.True(await Api.EventuallyAsync(
            async () => (await host.SyncAsync(new SyncRequest(Peer: new PeerAdvert(null)))).Peer?.Uploads.Contains(digest) == true, Patience),
            $"{host.Name} was never asked to upload {digest}.");

    private static async Task ReleasedAsync(AccountHost host, string digest, PeerAdvert advert) =>
        Assert.True(await Api.EventuallyAsync(
            async () => (await host.SyncAsync(new SyncRequest(Peer: advert))).Peer?.Release.Contains(digest) == true, Patience),
            $"{host.Name} was never told it may drop {digest}.");

    private async Task<JobView> CompletedAsync(Guid jobId)
    {
        JobView? view = null;
        Assert.True(await Api.EventuallyAsync(async () => (view = await Api.GetJobAsync(_jobs, jobId)).State != JobState.Running, Patience),
            $"Job {jobId} did not complete: {view?.Units}");
        Assert.Equal(JobState.Completed, view!.State);
        return view;
    }

    private async Task<HttpResponseMessage> UploadAsync(AccountHost host, string digest, byte[] body)
    {
        using var client = AccountHost.ClientFrom(factory, host.Address);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/" + Routes.WorkerBlob(digest)) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Token);
        return await client.SendAsync(request);
    }

    private async Task AssertUploadRefusedAsync(AccountHost host, string digest, byte[] body, HttpStatusCode status, params string[] detail)
    {
        using (var response = await UploadAsync(host, digest, body))
        {
            await Api.AssertProblemAsync(response, status, detail);
        }
        Assert.Null(await factory.Blobs.FindAsync(digest));
    }

    /// <summary>The payload is in the coordinator's blob store, whole, and recorded as one of the job's results.</summary>
    private async Task AssertKeptWithTheJobAsync(Guid jobId, byte[] payload)
    {
        var digest = ContentDigest.Of(payload);
        var manifest = await factory.Blobs.FindAsync(digest);
        Assert.Equal((digest, (long)payload.Length), (manifest?.Digest, manifest?.Size));
        Assert.Equal([new JobBlobRecord(jobId, digest, JobBlobUse.Result)], await factory.Store.ListJobBlobsAsync(jobId, JobBlobUse.Result));
    }
}

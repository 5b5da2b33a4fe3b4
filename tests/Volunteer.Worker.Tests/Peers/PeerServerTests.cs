using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Worker.Peers;
using static Volunteer.Worker.Tests.Peers.TestBlobs;

namespace Volunteer.Worker.Tests.Peers;

/// <summary>The peer endpoint on a real loopback port, asked by a plain HTTP client.</summary>
public sealed class PeerServerTests : IAsyncLifetime
{
    private static readonly Guid Job = Guid.Parse("11111111-0000-0000-0000-000000000000");
    private static readonly DateTimeOffset InAnHour = DateTimeOffset.UtcNow.AddHours(1);

    private readonly HttpClient _http = new();
    private readonly byte[] _content = Of(Chunk + 1000, seed: 7);
    private TestPeer _peer = null!;
    private BlobManifest _blob = null!;

    public async Task InitializeAsync()
    {
        _peer = await TestPeer.StartAsync();
        _blob = Hold(_peer.Cache, _content);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _peer.DisposeAsync();
    }

    [Fact]
    public async Task Hello_names_the_worker_behind_the_endpoint()
    {
        var hello = await _http.GetFromJsonAsync<PeerHello>(new Uri(_peer.Endpoint, PeerRoutes.Hello), ProtocolJson.Options);

        Assert.Equal(new PeerHello(_peer.WorkerId), hello);
    }

    [Fact]
    public async Task A_chunk_is_served_to_whoever_shows_a_ticket_the_coordinator_signed_for_that_blob()
    {
        using var response = await GetAsync(PeerRoutes.Chunk(_blob.Digest, 1), CoordinatorKeys.Ticket(_blob.Digest, InAnHour, Job));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ChunkOf(_content, 1), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1000L, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task A_whole_blob_is_served_with_the_coordinators_own_ticket()
    {
        using var response = await GetAsync(PeerRoutes.Blob(_blob.Digest), CoordinatorKeys.Ticket(_blob.Digest, InAnHour, Job, workerId: Guid.Empty));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task No_ticket_a_forged_an_expired_or_another_blobs_ticket_is_403_and_says_nothing_of_what_is_held()
    {
        var otherDigest = BlobManifest.Of(Of(10, seed: 8)).Digest;
        var forged = CoordinatorSignature.Ticket(CoordinatorKeys.Stranger, _blob.Digest, Guid.NewGuid(), Job, InAnHour);
        var expired = CoordinatorKeys.Ticket(_blob.Digest, DateTimeOffset.UtcNow.AddSeconds(-1), Job);
        var altered = CoordinatorKeys.Ticket(_blob.Digest, InAnHour, Job) with { ExpiresAt = InAnHour.AddDays(1) };

        foreach (var path in new[] { PeerRoutes.Chunk(_blob.Digest, 0), PeerRoutes.Blob(_blob.Digest) })
        {
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(path, null));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(path, forged));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(path, expired));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(path, altered));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(path, CoordinatorKeys.Ticket(otherDigest, InAnHour, Job)));
        }
        // The same refusal for a blob it does not hold: without a ticket, nobody learns what a peer holds.
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(PeerRoutes.Chunk(otherDigest, 0), null));
        Assert.Equal(0, _peer.Budget.Granted);
    }

    [Fact]
    public async Task A_good_ticket_for_a_blob_or_chunk_not_held_is_404_and_malformed_input_is_400()
    {
        var otherDigest = BlobManifest.Of(Of(10, seed: 9)).Digest;

        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(PeerRoutes.Chunk(otherDigest, 0), CoordinatorKeys.Ticket(otherDigest, InAnHour)));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(PeerRoutes.Blob(otherDigest), CoordinatorKeys.Ticket(otherDigest, InAnHour)));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(PeerRoutes.Chunk(_blob.Digest, 2), CoordinatorKeys.Ticket(_blob.Digest, InAnHour)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfAsync("peer/v1/blobs/sha256:ABC/chunks/0", CoordinatorKeys.Ticket(_blob.Digest, InAnHour)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfAsync($"peer/v1/blobs/{_blob.Digest}/chunks/-1", CoordinatorKeys.Ticket(_blob.Digest, InAnHour)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfAsync($"peer/v1/blobs/{_blob.Digest}/chunks/first", CoordinatorKeys.Ticket(_blob.Digest, InAnHour)));
        using var notATicket = new HttpRequestMessage(HttpMethod.Get, new Uri(_peer.Endpoint, PeerRoutes.Chunk(_blob.Digest, 0)));
        notATicket.Headers.Add(PeerRoutes.TicketHeader, "not base64 at all");
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(notATicket)).StatusCode);
        using var notJson = new HttpRequestMessage(HttpMethod.Get, new Uri(_peer.Endpoint, PeerRoutes.Chunk(_blob.Digest, 0)));
        notJson.Headers.Add(PeerRoutes.TicketHeader, Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"digest":1}""")));
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(notJson)).StatusCode);
    }

    [Fact]
    public async Task Every_byte_served_is_drawn_from_the_upload_budget()
    {
        await using var capped = await TestPeer.StartAsync(o => o.UploadBytesPerSecond = 10L * 1024 * 1024);
        Hold(capped.Cache, _content);

        using var chunk = await GetAsync(capped, PeerRoutes.Chunk(_blob.Digest, 0), CoordinatorKeys.Ticket(_blob.Digest, InAnHour));
        using var whole = await GetAsync(capped, PeerRoutes.Blob(_blob.Digest), CoordinatorKeys.Ticket(_blob.Digest, InAnHour));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (chunk.StatusCode, whole.StatusCode));
        Assert.Equal(Chunk + _content.Length, capped.Budget.Granted);
        Assert.Equal(10L * 1024 * 1024, capped.Budget.BytesPerSecond);
    }

    [Fact]
    public async Task A_peer_that_has_not_learned_the_coordinators_key_serves_nothing_and_takes_nothing()
    {
        await using var unaware = await TestPeer.StartAsync(knowsKey: false);
        Hold(unaware.Cache, _content);
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var chunk = await GetAsync(unaware, PeerRoutes.Chunk(_blob.Digest, 0), CoordinatorKeys.Ticket(_blob.Digest, InAnHour));
        using var relay = await _http.PostAsJsonAsync(new Uri(unaware.Endpoint, PeerRoutes.Relay), Bundle(Guid.NewGuid(), origin), ProtocolJson.Options);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), (chunk.StatusCode, relay.StatusCode));
        Assert.Equal(0, unaware.Inbox.Count);
    }

    [Fact]
    public async Task A_relay_bundle_with_a_good_pass_and_signature_is_kept_on_disk_once_and_survives_a_restart()
    {
        var originId = Guid.NewGuid();
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bundle = Bundle(originId, origin);

        Assert.Equal(HttpStatusCode.Accepted, await RelayAsync(bundle));
        Assert.Equal(HttpStatusCode.Accepted, await RelayAsync(bundle));

        Assert.Equal(1, _peer.Inbox.Count);
        var restarted = new RelayInbox(_peer.StateDirectory, maxBundles: 10, maxBytes: 1024 * 1024);
        var held = Assert.Single(restarted.ForSync(maxBundles: 16, maxReports: 512)).Reports;
        Assert.Equal((originId, bundle.Signature), (held.WorkerId, held.Signature));
        Assert.Equal(bundle.Reports, held.Reports);
        Assert.True(ReportSignature.Verify(origin, originId, held.Reports, held.Signature));
    }

    [Fact]
    public async Task A_relay_bundle_whose_pass_or_signature_does_not_hold_is_refused_and_nothing_is_kept()
    {
        var originId = Guid.NewGuid();
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var good = Bundle(originId, origin);

        var forgedPass = good with { Pass = CoordinatorSignature.Pass(CoordinatorKeys.Stranger, originId, good.Pass.PublicKey, InAnHour) };
        var expiredPass = good with { Pass = CoordinatorKeys.Pass(originId, origin, DateTimeOffset.UtcNow.AddSeconds(-1)) };
        var altered = good with { Reports = [good.Reports[0] with { Digest = ContentDigestOf("another result") }] };
        var signedByAnother = good with { Signature = ReportSignature.Sign(impostor, originId, good.Reports) };
        var passOfAnother = good with { Pass = CoordinatorKeys.Pass(Guid.NewGuid(), origin, InAnHour) };

        Assert.Equal(HttpStatusCode.Forbidden, await RelayAsync(forgedPass));
        Assert.Equal(HttpStatusCode.Forbidden, await RelayAsync(expiredPass));
        Assert.Equal(HttpStatusCode.Forbidden, await RelayAsync(altered));
        Assert.Equal(HttpStatusCode.Forbidden, await RelayAsync(signedByAnother));
        Assert.Equal(HttpStatusCode.Forbidden, await RelayAsync(passOfAnother));
        Assert.Equal(HttpStatusCode.BadRequest, await RelayAsync(good with { Reports = [], Signature = ReportSignature.Sign(origin, originId, []) }));
        using var notJson = await _http.PostAsync(new Uri(_peer.Endpoint, PeerRoutes.Relay), new StringContent("{\"pass\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        Assert.Equal(0, _peer.Inbox.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_peer.StateDirectory, RelayInbox.FolderName)));
    }

    [Fact]
    public async Task Relay_bundles_are_bounded_in_number_and_in_size()
    {
        await using var small = await TestPeer.StartAsync(o => (o.MaxRelayBundles, o.RelayInboxBytes) = (1, 4096));
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var originId = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.Accepted, await RelayAsync(Bundle(originId, origin, unit: 1), small));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await RelayAsync(Bundle(originId, origin, unit: 2), small));
        var tooLarge = Bundle(originId, origin, unit: 3, error: new string('x', 5000));
        await using var roomy = await TestPeer.StartAsync(o => o.RelayInboxBytes = 4096);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await RelayAsync(tooLarge, roomy));

        Assert.Equal((1, 0), (small.Inbox.Count, roomy.Inbox.Count));
    }

    private static RelayBundle Bundle(Guid originId, ECDsa origin, long unit = 0, string? error = null)
    {
        ReplicaReport[] reports = error is null
            ? [new ReplicaReport(Job, unit, 0, ReportOutcome.Success, ContentDigestOf("result"), 6)]
            : [new ReplicaReport(Job, unit, 0, ReportOutcome.Error, Error: error)];
        return new RelayBundle(CoordinatorKeys.Pass(originId, origin, InAnHour), reports, ReportSignature.Sign(origin, originId, reports));
    }

    private static string ContentDigestOf(string text) => BlobManifest.Of(Encoding.UTF8.GetBytes(text)).Digest;

    private async Task<HttpStatusCode> RelayAsync(RelayBundle bundle, TestPeer? peer = null)
    {
        using var response = await _http.PostAsync(new Uri((peer ?? _peer).Endpoint, PeerRoutes.Relay),
            new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(bundle, ProtocolJson.Options)) { Headers = { ContentType = new("application/json") } });
        return response.StatusCode;
    }

    private Task<HttpResponseMessage> GetAsync(string path, BlobTicket? ticket) => GetAsync(_peer, path, ticket);

    private async Task<HttpResponseMessage> GetAsync(TestPeer peer, string path, BlobTicket? ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.Endpoint, path));
        if (ticket is not null)
        {
            request.Headers.Add(PeerRoutes.TicketHeader, PeerTickets.Encode(ticket));
        }
        return await _http.SendAsync(request);
    }

    private async Task<HttpStatusCode> StatusOfAsync(string path, BlobTicket? ticket)
    {
        using var response = await GetAsync(path, ticket);
        return response.StatusCode;
    }
}

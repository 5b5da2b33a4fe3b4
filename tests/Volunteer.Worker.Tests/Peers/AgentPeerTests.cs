using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using static Volunteer.Worker.Tests.Peers.TestBlobs;

namespace Volunteer.Worker.Tests.Peers;

/// <summary>The agent as a peer, against a scripted coordinator and real peer endpoints on loopback ports.</summary>
public sealed class AgentPeerTests : IAsyncLifetime
{
    private static readonly Guid JobA = Guid.Parse("11111111-0000-0000-0000-000000000000");
    private static readonly DateTimeOffset InADay = AgentUnderTest.StartTime.AddDays(1);

    private readonly TempDirectory _state = new();
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly HttpClient _http = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
        _http.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task The_first_sync_advertises_the_peer_endpoint_everything_held_and_the_upload_cap()
    {
        var held = Hold(new BlobCache(_state.Path, long.MaxValue, TimeProvider.System), Of(100, seed: 1));
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default));
        var agent = await StartAsync(Options(o => { o.UploadBytesPerSecond = 5000; }), coordinator);

        var first = (await coordinator.SyncsAsync(1))[0].Peer!;

        var port = agent.Get<PeerServer>().Port;
        Assert.Equal((port, true, 5000L), (first.Port, first.Complete, first.UploadBytesPerSecond));
        Assert.Equal([held.Digest], first.Added!);
        Assert.Empty(first.Removed!);
        var hello = await _http.GetFromJsonAsync<PeerHello>(new Uri($"http://127.0.0.1:{port}/{PeerRoutes.Hello}"), ProtocolJson.Options);
        Assert.Equal(AttachedWorker.Identity().WorkerId, hello!.WorkerId);
        // Answered: later syncs tell only changes.
        Assert.Equal((false, 0, 0), Changes((await coordinator.SyncsAsync(2))[1].Peer!));
    }

    [Fact]
    public async Task A_worker_that_does_not_serve_listens_nowhere_and_advertises_no_port()
    {
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default));
        var agent = await StartAsync(Options(o => { o.Serve = false; }), coordinator);

        var advert = (await coordinator.SyncsAsync(1))[0].Peer!;

        Assert.Null(advert.Port);
        Assert.Null(agent.Get<PeerServer>().Endpoint);
    }

    [Fact]
    public async Task A_result_above_the_inline_limit_stays_in_the_cache_is_reported_by_digest_and_size_and_advertised()
    {
        var payload = Of(100_000, seed: 2);
        var coordinator = new ScriptedHandler(ScriptedHandler.Accept(new SyncResponse(0, [Lease(0)], [], SyncLimits.Default)), ScriptedHandler.AcceptWith(SyncLimits.Default));
        var agent = await StartAsync(Options(), coordinator, Computing((_, _) => payload));

        var reported = await FirstSyncAsync(coordinator, s => s.Reports!.Count > 0);
        var advertised = await FirstSyncAsync(coordinator, s => s.Peer!.Added!.Count > 0);

        Assert.Equal([new ReplicaReport(JobA, 0, 0, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length)], reported.Reports!);
        Assert.Equal([ContentDigest.Of(payload)], advertised.Peer!.Added!);
        Assert.Equal(payload, Read(agent.Get<BlobCache>().OpenRead(ContentDigest.Of(payload))!));
    }

    [Fact]
    public async Task A_result_the_coordinator_asks_for_is_uploaded_with_the_workers_token_and_once_released_may_be_evicted()
    {
        var payload = Of(100_000, seed: 3);
        var digest = ContentDigest.Of(payload);
        var uploaded = new TaskCompletionSource<(HttpRequestMessage Request, byte[] Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var syncs = 0;
        var coordinator = new ScriptedHandler(async (request, _) =>
        {
            if (request.Method == HttpMethod.Put)
            {
                uploaded.TrySetResult((request, await request.Content!.ReadAsByteArrayAsync()));
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            }
            if (Interlocked.Increment(ref syncs) == 1)
            {
                return Answer(new SyncResponse(0, [Lease(0)], [], SyncLimits.Default));
            }
            if (!uploaded.Task.IsCompleted)
            {
                return Answer(new SyncResponse(0, [], [], SyncLimits.Default, Directions(uploads: [digest])));
            }
            if (!release.Task.IsCompleted)
            {
                return Answer(new SyncResponse(0, [], [], SyncLimits.Default));
            }
            released.TrySetResult();
            return Answer(new SyncResponse(0, [], [], SyncLimits.Default, Directions(release: [digest])));
        });
        var agent = await StartAsync(Options(o => { o.CacheBytes = payload.Length; }), coordinator, Computing((_, _) => payload));
        var cache = agent.Get<BlobCache>();

        var (upload, body) = await uploaded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new Uri(AttachedWorker.First, Routes.WorkerBlob(digest)), upload.RequestUri);
        Assert.Equal("Bearer token", upload.Headers.Authorization!.ToString());
        Assert.Equal(payload, body);
        // Pinned until released: the cache has room for nothing else.
        Assert.Throws<BlobCacheFullException>(() => cache.StoreResult(new ReplicaRef(JobA, 9, 0), Of(payload.Length, seed: 4)));

        release.SetResult();
        await released.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var after = syncs;
        // The next sync begins once the answer that released it was followed.
        await coordinator.SyncsAsync(after + 1);
        cache.StoreResult(new ReplicaRef(JobA, 9, 0), Of(payload.Length, seed: 4));
        Assert.False(cache.Holds(digest));
    }

    [Fact]
    public async Task A_units_blobs_are_fetched_from_their_holders_before_it_starts_and_it_reads_them_read_only()
    {
        var content = Of(Chunk + 500, seed: 5);
        var manifest = BlobManifest.Of(content);
        var holder = await TestPeer.StartAsync(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(AgentUnderTest.StartTime));
        _disposables.Add(holder);
        Hold(holder.Cache, content);
        var source = new BlobSource(manifest, CoordinatorKeys.Ticket(manifest.Digest, InADay, JobA), [holder.Holder]);
        string? refusal = null;
        var apps = Computing((_, context) =>
        {
            using var blob = context.OpenBlob(manifest.Digest);
            refusal = Assert.Throws<InvalidOperationException>(() => context.OpenBlob(BlobManifest.Of([1]).Digest)).Message;
            Assert.False(blob.CanWrite);
            return Encoding.UTF8.GetBytes(ContentDigest.Of(Read(blob)));
        });
        var coordinator = new ScriptedHandler(
            ScriptedHandler.Accept(new SyncResponse(0, [Lease(0) with { Blobs = [source] }], [], SyncLimits.Default)),
            ScriptedHandler.AcceptWith(SyncLimits.Default));
        await StartAsync(Options(), coordinator, apps);

        var reported = await FirstSyncAsync(coordinator, s => s.Reports!.Count > 0);
        var transferred = await FirstSyncAsync(coordinator, s => s.Transfers is { Count: > 0 });

        var report = Assert.Single(reported.Reports!);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(manifest.Digest)), report.Payload);
        Assert.Equal($"The unit's job names no blob {BlobManifest.Of([1]).Digest}.", refusal);
        var transfer = Assert.Single(transferred.Transfers!);
        Assert.Equal((JobA, manifest.Digest, (long)content.Length, 0L), (transfer.JobId, transfer.Digest, transfer.PeerBytes, transfer.CoordinatorBytes));
        Assert.Empty(transfer.BadHolders);
    }

    [Fact]
    public async Task Reports_relayed_for_another_worker_go_up_in_a_sync_and_are_dropped_once_the_coordinator_said_what_it_made_of_them()
    {
        var originId = Guid.NewGuid();
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ReplicaReport[] reports = [new(JobA, 7, 1, ReportOutcome.Error, Error: "relayed")];
        var bundle = new RelayBundle(CoordinatorKeys.Pass(originId, origin, InADay), reports, ReportSignature.Sign(origin, originId, reports));
        var carried = new TaskCompletionSource<SyncRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var coordinator = new ScriptedHandler(async (request, _) =>
        {
            var sync = JsonSerializer.Deserialize<SyncRequest>(await request.Content!.ReadAsStringAsync(), ProtocolJson.Options)!;
            if (sync.Relayed is { Count: > 0 } relayed)
            {
                carried.TrySetResult(sync);
                return Answer(new SyncResponse(0, [], [], SyncLimits.Default, Relayed: [.. relayed.Select(r => new RelayOutcome(r.WorkerId, r.Reports.Count, []))]));
            }
            return Answer(new SyncResponse(0, [], [], SyncLimits.Default));
        });
        var agent = await StartAsync(Options(), coordinator);
        var endpoint = await Eventually.WaitAsync("the agent's peer endpoint", () => Task.FromResult(agent.Get<PeerServer>().Endpoint), () => "", TimeSpan.FromSeconds(30));

        using var handed = await _http.PostAsJsonAsync(new Uri(endpoint, PeerRoutes.Relay), bundle, ProtocolJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, handed.StatusCode);
        var sync = await carried.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var relayed = Assert.Single(sync.Relayed!);
        Assert.Equal((originId, bundle.Signature), (relayed.WorkerId, relayed.Signature));
        Assert.Equal(reports, relayed.Reports);
        var answeredAt = coordinator.Requests.Count;
        var later = (await coordinator.SyncsAsync(answeredAt + 1))[answeredAt];
        Assert.Null(later.Relayed);
        Assert.Equal(0, agent.Get<RelayInbox>().Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_state.Path, RelayInbox.FolderName)));
    }

    [Fact]
    public async Task A_sync_the_coordinator_rejects_drops_the_relayed_bundles_it_carried_so_the_workers_own_reports_go_up()
    {
        var originId = Guid.NewGuid();
        using var origin = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ReplicaReport[] reports = [new(JobA, 7, 1, ReportOutcome.Error, Error: "relayed")];
        var bundle = new RelayBundle(CoordinatorKeys.Pass(originId, origin, InADay), reports, ReportSignature.Sign(origin, originId, reports));
        var rejected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var coordinator = new ScriptedHandler(async (request, _) =>
        {
            var sync = JsonSerializer.Deserialize<SyncRequest>(await request.Content!.ReadAsStringAsync(), ProtocolJson.Options)!;
            if (sync.Relayed is { Count: > 0 })
            {
                rejected.TrySetResult();
                return new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = JsonContent.Create(new { status = 400, detail = "A relayed bundle is malformed." }) };
            }
            return Answer(new SyncResponse(0, [], [], SyncLimits.Default));
        });
        var agent = await StartAsync(Options(), coordinator);
        var endpoint = await Eventually.WaitAsync("the agent's peer endpoint", () => Task.FromResult(agent.Get<PeerServer>().Endpoint), () => "", TimeSpan.FromSeconds(30));

        using var handed = await _http.PostAsJsonAsync(new Uri(endpoint, PeerRoutes.Relay), bundle, ProtocolJson.Options);
        await rejected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var rejectedAt = coordinator.Requests.Count;

        Assert.Null((await coordinator.SyncsAsync(rejectedAt + 1))[rejectedAt].Relayed);
        Assert.Equal(0, agent.Get<RelayInbox>().Count);
    }

    [Fact]
    public async Task Cut_off_from_every_coordinator_the_agent_hands_its_signed_reports_to_a_relay_peer_and_not_again_for_a_while()
    {
        var relay = await TestPeer.StartAsync(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(AgentUnderTest.StartTime));
        _disposables.Add(relay);
        var identity = AttachedWorker.Identity();
        using var workerKey = identity.LoadKey();
        var pass = CoordinatorKeys.Pass(identity.WorkerId, workerKey, InADay);
        var syncs = 0;
        var coordinator = new ScriptedHandler((_, _) => Interlocked.Increment(ref syncs) == 1
            ? Task.FromResult(Answer(new SyncResponse(0, [Lease(0)], [], SyncLimits.Default, Directions(relayPeers: [relay.Holder], pass: pass))))
            : throw new HttpRequestException("connection refused"));
        var options = Options(o => { o.RelayAfter = TimeSpan.FromSeconds(1); o.RelayAgainAfter = TimeSpan.FromMinutes(10); });
        var agent = await StartAsync(options, coordinator, Computing((_, _) => [42]), identity);
        await Eventually.WaitAsync("the unit's report", () => Task.FromResult(agent.Folder.PendingReports() is [var r] ? r : null), () => "", TimeSpan.FromSeconds(30));

        await AdvanceUntilAsync(agent, () => relay.Inbox.Count == 1);

        var bundle = Assert.Single(relay.Inbox.ForSync(16, 512)).Reports;
        Assert.Equal(identity.WorkerId, bundle.WorkerId);
        Assert.Equal(agent.Folder.PendingReports(), bundle.Reports);
        Assert.True(ReportSignature.Verify(workerKey, identity.WorkerId, bundle.Reports, bundle.Signature));
        // Kept until a coordinator acknowledges it; not handed over again while the peer has it.
        Assert.Single(agent.Folder.PendingReports());
        var failures = syncs;
        await AdvanceUntilAsync(agent, () => syncs >= failures + 5);
        Assert.Equal(1, relay.Inbox.Count);

        agent.Time.Advance(options.RelayAgainAfter);
        await AdvanceUntilAsync(agent, () => relay.Inbox.Count == 2);
    }

    [Fact]
    public async Task An_identity_saved_before_attach_told_the_coordinators_key_learns_it_once_at_start()
    {
        var identity = AttachedWorker.Identity() with { CoordinatorKey = null };
        var coordinator = new ScriptedHandler((request, _) => Task.FromResult(request.RequestUri!.AbsolutePath == "/" + Routes.CoordinatorKey
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new { publicKey = CoordinatorKeys.PublicKey }) }
            : Answer(new SyncResponse(0, [], [], SyncLimits.Default))));
        var agent = await StartAsync(Options(), coordinator, identity: identity);

        await Eventually.WaitAsync("the key saved with the identity",
            () => Task.FromResult(WorkerIdentity.Load(_state.Path)?.CoordinatorKey), () => "", TimeSpan.FromSeconds(30));

        Assert.Equal(CoordinatorKeys.PublicKey, WorkerIdentity.Load(_state.Path)!.CoordinatorKey);
        Assert.NotNull(agent.Get<CoordinatorPublicKey>().Key);
        Assert.Single(coordinator.Requests, r => r.RequestUri!.AbsolutePath == "/" + Routes.CoordinatorKey);
    }

    [Fact]
    public async Task The_status_file_shows_the_peer_endpoint_the_cache_and_the_relayed_bundles()
    {
        Hold(new BlobCache(_state.Path, long.MaxValue, TimeProvider.System), Of(100, seed: 6));
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default));
        var options = Options(o => { o.CacheBytes = 1000; o.UploadBytesPerSecond = 2000; });
        var agent = await StartAsync(options, coordinator);

        var status = await Eventually.WaitAsync("a status with the peer", () => Task.FromResult(WorkerStatus.Load(_state.Path)?.Peer), () => "", TimeSpan.FromSeconds(30));

        Assert.Equal(new PeerStatus(agent.Get<PeerServer>().Endpoint!.ToString(), 2000, 100, 1000, 1, 0, 0), status);
    }

    private WorkerOptions Options(Action<WorkerOptions>? configure = null)
    {
        var options = new WorkerOptions
        {
            StateDirectory = _state.Path,
            Slots = 1,
            IdleSyncInterval = TimeSpan.FromMilliseconds(10),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            PeerAddress = "127.0.0.1",
        };
        configure?.Invoke(options);
        return options;
    }

    private async Task<AgentUnderTest> StartAsync(WorkerOptions options, ScriptedHandler coordinator, ScienceAppCatalog? apps = null, WorkerIdentity? identity = null)
    {
        var agent = new AgentUnderTest(options, identity ?? AttachedWorker.Identity(), coordinator, apps);
        _disposables.Add(agent);
        await agent.StartAsync();
        return agent;
    }

    /// <summary>Moves the agent's clock on (its retries wait on it) until <paramref name="condition"/> holds.</summary>
    private static async Task AdvanceUntilAsync(AgentUnderTest agent, Func<bool> condition, TimeSpan? limit = null)
    {
        using var deadline = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            agent.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(10, deadline.Token);
        }
    }

    /// <summary>The first sync (after those already seen) that <paramref name="matches"/>.</summary>
    private static async Task<SyncRequest> FirstSyncAsync(ScriptedHandler coordinator, Func<SyncRequest, bool> matches)
    {
        for (var count = 1; ; count++)
        {
            var sync = (await coordinator.SyncsAsync(count))[count - 1];
            if (matches(sync))
            {
                return sync;
            }
        }
    }

    private static (bool Complete, int Added, int Removed) Changes(PeerAdvert advert) => (advert.Complete, advert.Added!.Count, advert.Removed!.Count);

    private static ScienceAppCatalog Computing(Func<UnitInput, IUnitContext, byte[]> compute) =>
        new([new TestApp((input, context, _) => Task.FromResult(compute(input, context)))]);

    private static Assignment Lease(long unit) =>
        new(JobA, unit, 0, TestApp.AppName, JsonDocument.Parse("{}").RootElement.Clone(), DateTimeOffset.MaxValue);

    private static PeerDirections Directions(
        IReadOnlyList<string>? uploads = null, IReadOnlyList<string>? release = null, IReadOnlyList<PeerHolder>? relayPeers = null, PeerPass? pass = null) =>
        new(SendHoldings: false, Listed: true, uploads ?? [], release ?? [], relayPeers ?? [], pass);

    private static HttpResponseMessage Answer(SyncResponse response) =>
        new(HttpStatusCode.OK) { Content = JsonContent.Create(response, options: ProtocolJson.Options) };
}

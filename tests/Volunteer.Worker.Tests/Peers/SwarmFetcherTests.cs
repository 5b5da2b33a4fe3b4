using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Protocol;
using Volunteer.Testing;
using Volunteer.Worker.Peers;
using static Volunteer.Worker.Tests.Peers.TestBlobs;

namespace Volunteer.Worker.Tests.Peers;

/// <summary>Swarm fetches from real peer endpoints on loopback ports, with a scripted coordinator behind them.</summary>
public sealed class SwarmFetcherTests : IAsyncLifetime
{
    private static readonly Guid Job = Guid.Parse("11111111-0000-0000-0000-000000000000");
    /// <summary>Long enough for a peer's first answer on a busy machine (its endpoint's code is compiled then), short enough for a test.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(2);

    private readonly TempDirectory _state = new();
    private readonly byte[] _content = Of(6 * Chunk - 5, seed: 21);
    private readonly List<IAsyncDisposable> _peers = [];
    private readonly BlobManifest _manifest;
    private readonly BlobTicket _ticket;
    private ServiceProvider _services = null!;
    private ScriptedHandler _coordinator = null!;
    private System.Security.Cryptography.ECDsa _key = null!;

    public SwarmFetcherTests()
    {
        _manifest = BlobManifest.Of(_content);
        _ticket = CoordinatorKeys.Ticket(_manifest.Digest, DateTimeOffset.UtcNow.AddHours(1), Job, AttachedWorker.Identity().WorkerId);
    }

    private BlobCache Cache => _services.GetRequiredService<BlobCache>();

    private SwarmFetcher Fetcher => _services.GetRequiredService<SwarmFetcher>();

    public Task InitializeAsync()
    {
        _coordinator = new ScriptedHandler(ServeChunks(_content));
        var identity = AttachedWorker.Identity();
        _key = identity.LoadKey();
        var options = new WorkerOptions
        {
            StateDirectory = _state.Path,
            PeerStallTimeout = StallTimeout,
            FetchConcurrency = 4,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        _services = AgentUnderTest.Services(options, identity, _key, _coordinator, TimeProvider.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        foreach (var peer in _peers)
        {
            await peer.DisposeAsync();
        }
        _key.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task Chunks_come_from_several_holders_at_once_and_one_serving_bad_chunks_is_dropped_reported_and_the_blob_completes_from_the_others()
    {
        var first = await HolderAsync();
        var cheat = await HolderAsync();
        var third = await HolderAsync();
        for (var index = 0; index < _manifest.Chunks.Count; index++)
        {
            cheat.Corrupt(_manifest, index);
        }

        await Fetcher.FetchAsync(Source(first.Holder, cheat.Holder, third.Holder), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(_content, Read(Cache.OpenRead(_manifest.Digest)!));
        Assert.Equal([Described(new TransferReport(Job, _manifest.Digest, _content.Length, 0, [cheat.WorkerId]))], Transfers());
        Assert.True(first.Budget.Granted > 0 && third.Budget.Granted > 0, "Both good holders served chunks.");
        Assert.Empty(_coordinator.Requests);
    }

    [Fact]
    public async Task A_holder_that_stalls_is_dropped_and_its_chunks_are_fetched_from_another()
    {
        using var staller = new StallingPeer();
        var good = await HolderAsync();

        await Fetcher.FetchAsync(Source(staller.Holder, good.Holder), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(_content, Read(Cache.OpenRead(_manifest.Digest)!));
        Assert.True(staller.Connections > 0, "The stalling holder was asked.");
        Assert.Equal([Described(new TransferReport(Job, _manifest.Digest, _content.Length, 0, []))], Transfers());
    }

    [Fact]
    public async Task Without_holders_the_coordinator_serves_every_chunk_with_the_workers_token_and_the_ticket()
    {
        await Fetcher.FetchAsync(Source(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(_content, Read(Cache.OpenRead(_manifest.Digest)!));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "/" + Routes.BlobChunk(_manifest.Digest, i)),
            _coordinator.Requests.Select(r => r.RequestUri!.AbsolutePath).Order(StringComparer.Ordinal));
        Assert.All(_coordinator.Requests, r => Assert.Equal(
            ("Bearer token", PeerTickets.Encode(_ticket)),
            (r.Headers.Authorization!.ToString(), Assert.Single(r.Headers.GetValues(PeerRoutes.TicketHeader)))));
        Assert.Equal([Described(new TransferReport(Job, _manifest.Digest, 0, _content.Length, []))], Transfers());
    }

    [Fact]
    public async Task What_no_holder_can_serve_comes_from_the_coordinator()
    {
        var cheat = await HolderAsync();
        cheat.Corrupt(_manifest, 0);
        cheat.Corrupt(_manifest, 3);
        var gone = new PeerHolder(Guid.NewGuid(), $"http://127.0.0.1:{FreePort.Next()}/");
        var missing = new PeerHolder(Guid.NewGuid(), (await HolderAsync(holding: false)).Endpoint.ToString());

        await Fetcher.FetchAsync(Source(cheat.Holder, gone, missing), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(_content, Read(Cache.OpenRead(_manifest.Digest)!));
        // The cheat's good chunks count as peer bytes; the coordinator served the rest, each chunk once.
        var fromCoordinator = _coordinator.Requests.Select(r => IndexOf(r.RequestUri!)).ToList();
        Assert.Equal(fromCoordinator.Count, fromCoordinator.Distinct().Count());
        Assert.Contains(0, fromCoordinator);
        Assert.Contains(3, fromCoordinator);
        var coordinatorBytes = fromCoordinator.Sum(i => (long)_manifest.ChunkLength(i));
        Assert.Equal([Described(new TransferReport(Job, _manifest.Digest, _content.Length - coordinatorBytes, coordinatorBytes, [cheat.WorkerId]))], Transfers());
    }

    [Fact]
    public async Task A_fetch_resumes_with_the_chunks_a_previous_one_left_and_units_waiting_for_one_blob_share_one_fetch()
    {
        using (var partial = Cache.BeginFetch(_manifest)!)
        {
            Assert.True(partial.TryPut(0, ChunkOf(_content, 0)));
            Assert.True(partial.TryPut(4, ChunkOf(_content, 4)));
        }

        await Task.WhenAll(Fetcher.FetchAsync(Source(), CancellationToken.None), Fetcher.FetchAsync(Source(), CancellationToken.None))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(_content, Read(Cache.OpenRead(_manifest.Digest)!));
        Assert.Equal(["1", "2", "3", "5"], _coordinator.Requests.Select(r => r.RequestUri!.Segments[^1]).Order(StringComparer.Ordinal));
        Assert.Equal([Described(new TransferReport(Job, _manifest.Digest, 0, _content.Length - 2 * Chunk, []))], Transfers());
        await Fetcher.FetchAsync(Source(), CancellationToken.None);
        Assert.Equal(4, _coordinator.Requests.Count);
    }

    private BlobSource Source(params PeerHolder[] holders) => new(_manifest, _ticket, holders);

    private List<string> Transfers() => [.. _services.GetRequiredService<TransferLog>().ForSync(100).Select(Described)];

    private static string Described(TransferReport t) =>
        $"job {t.JobId} blob {t.Digest}: {t.PeerBytes} bytes from peers, {t.CoordinatorBytes} from the coordinator, bad holders [{string.Join(", ", t.BadHolders)}]";

    private static int IndexOf(Uri chunk) => int.Parse(chunk.Segments[^1], System.Globalization.CultureInfo.InvariantCulture);

    private async Task<TestPeer> HolderAsync(bool holding = true)
    {
        var peer = await TestPeer.StartAsync();
        _peers.Add(peer);
        // Its endpoint answers once before the fetch, so that the fetch meets it warm.
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(new Uri(peer.Endpoint, PeerRoutes.Hello));
        }
        if (holding)
        {
            Hold(peer.Cache, _content);
        }
        return peer;
    }

    /// <summary>The coordinator's chunk route: each chunk of <paramref name="content"/> by its index.</summary>
    private static ScriptedHandler.Step ServeChunks(byte[] content) => (request, _) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(ChunkOf(content, IndexOf(request.RequestUri!))),
        });

    /// <summary>A holder that accepts connections and then sends nothing.</summary>
    private sealed class StallingPeer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _accepted = [];
        private int _connections;

        public StallingPeer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public PeerHolder Holder => new(WorkerId, $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        private Guid WorkerId { get; } = Guid.NewGuid();

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose()
        {
            _listener.Dispose();
            lock (_accepted)
            {
                _accepted.ForEach(s => s.Dispose());
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync();
                    Interlocked.Increment(ref _connections);
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

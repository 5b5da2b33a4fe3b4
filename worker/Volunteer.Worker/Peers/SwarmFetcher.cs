using Microsoft.Extensions.Options;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Peers;

/// <summary>
/// Fetches blobs into the cache as a swarm: the chunks still missing come from several holders at once
/// (<see cref="WorkerOptions.FetchConcurrency"/> requests in flight, spread over them), each verified on arrival. A
/// holder that serves a bad chunk is dropped for the transfer and reported in the next sync; one that sends nothing for
/// <see cref="WorkerOptions.PeerStallTimeout"/>, refuses or cannot be reached is dropped and its chunk asked of another;
/// what no holder can serve comes from the coordinator, so a fetch finishes while a coordinator is up. A holder may be
/// fetching the blob itself (the coordinator lists a worker as soon as it hands it a ticket): it holds a request for a
/// chunk it is still fetching until the chunk comes (<see cref="PeerServer.ChunkWait"/>), answers 404 for one it is not
/// fetching (yet), and is asked again a moment later; the coordinator serves a chunk only if no live holder has it within
/// the stall timeout. So workers that start together draw the blob from one another, not each from the coordinator.
/// One fetch per blob runs at a time, however many units wait for it.
/// </summary>
public sealed class SwarmFetcher(
    IHttpClientFactory httpClients,
    CoordinatorClient coordinator,
    BlobCache cache,
    TransferLog transfers,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<SwarmFetcher> logger)
{
    /// <summary>The named HTTP client for connections to peers (from the source address when one is set).</summary>
    public const string PeersClient = "volunteer-peers";

    /// <summary>How long a holder that did not have a chunk yet is left alone before it is asked again.</summary>
    public static readonly TimeSpan AskAgainAfter = TimeSpan.FromMilliseconds(250);

    private readonly WorkerOptions _settings = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task> _fetches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Completes once the cache holds the blob: at once if it does, else when the fetch of it (this one, or one already
    /// under way) finishes. Throws what failed the fetch (InvalidDataException for a blob that does not match its
    /// manifest, BlobCacheFullException, HttpRequestException when the coordinator refuses what no peer served).
    /// </summary>
    public Task FetchAsync(BlobSource source, CancellationToken cancellationToken)
    {
        var digest = source.Manifest.Digest;
        Task fetch;
        lock (_gate)
        {
            if (cache.Holds(digest))
            {
                return Task.CompletedTask;
            }
            if (!_fetches.TryGetValue(digest, out fetch!))
            {
                _fetches[digest] = fetch = TransferAsync(source, _stopping.Token);
            }
        }
        return fetch.WaitAsync(cancellationToken);
    }

    /// <summary>Stops every fetch under way (the agent is stopping) and waits for them to let go of the cache.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        Task[] running;
        lock (_gate)
        {
            running = [.. _fetches.Values];
        }
        await Task.WhenAll(running.Select(f => f.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <summary>A peer's endpoint as a base URL; null when the coordinator's listing is not an http(s) URL.</summary>
    public static Uri? EndpointOf(PeerHolder holder) =>
        Uri.TryCreate(holder.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" ? endpoint : null;

    private async Task TransferAsync(BlobSource source, CancellationToken cancellationToken)
    {
        // Off the caller's thread: the first part of a transfer reads the cache's disk.
        await Task.Yield();
        try
        {
            await SwarmAsync(source, cancellationToken);
        }
        finally
        {
            lock (_gate)
            {
                _fetches.Remove(source.Manifest.Digest);
            }
        }
    }

    private async Task SwarmAsync(BlobSource source, CancellationToken cancellationToken)
    {
        var manifest = source.Manifest;
        if (manifest.Problem(long.MaxValue) is { } problem)
        {
            throw new InvalidDataException($"The manifest of blob {manifest.Digest} is malformed: {problem}");
        }
        using var partial = cache.BeginFetch(manifest);
        if (partial is null)
        {
            return;
        }
        var http = httpClients.CreateClient(PeersClient);
        var ticket = PeerTickets.Encode(source.Ticket);
        var holders = source.Holders
            .Where(h => h.WorkerId != identity.WorkerId)
            .Select(h => EndpointOf(h) is { } endpoint ? new Holder(h.WorkerId, endpoint) : null)
            .OfType<Holder>()
            .ToList();
        var missing = new Queue<int>(partial.Missing);
        var inFlight = new List<Task<Arrival>>();
        var badHolders = new List<Guid>();
        // When a live holder first said it did not have the chunk yet: until the stall timeout, the chunk waits for holders.
        var waitingSince = new Dictionary<int, DateTimeOffset>();
        long peerBytes = 0, coordinatorBytes = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (missing.Count > 0 || inFlight.Count > 0)
            {
                var deferred = new List<int>();
                while (missing.Count > 0 && inFlight.Count < _settings.FetchConcurrency)
                {
                    var index = missing.Dequeue();
                    var now = time.GetUtcNow();
                    // The live holder with the fewest requests in flight that may have the chunk by now; the coordinator once
                    // no holder is left, or the live ones have not had it for the whole stall timeout.
                    var holder = holders.Where(h => !h.Dropped && !h.LacksYet(index, now)).MinBy(h => h.InFlight);
                    if (holder is null && holders.Any(h => !h.Dropped) && waitingSince.TryGetValue(index, out var since)
                        && now - since < _settings.PeerStallTimeout)
                    {
                        deferred.Add(index);
                        continue;
                    }
                    if (holder is null)
                    {
                        inFlight.Add(FromCoordinatorAsync(source.Ticket, index, stop.Token));
                    }
                    else
                    {
                        holder.InFlight++;
                        inFlight.Add(FromPeerAsync(http, holder, manifest, ticket, index, stop.Token));
                    }
                }
                foreach (var index in deferred)
                {
                    missing.Enqueue(index);
                }
                if (inFlight.Count == 0)
                {
                    // Every chunk left waits for holders that are still fetching it.
                    await Task.Delay(AskAgainAfter, time, stop.Token);
                    continue;
                }
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                var arrival = await done;
                var from = arrival.Holder;
                if (from is not null)
                {
                    from.InFlight--;
                }
                if (arrival.Chunk is { } chunk && partial.TryPut(arrival.Index, chunk))
                {
                    if (from is null)
                    {
                        coordinatorBytes += chunk.Length;
                    }
                    else
                    {
                        peerBytes += chunk.Length;
                    }
                    continue;
                }
                if (from is null)
                {
                    throw new InvalidDataException($"The coordinator served chunk {arrival.Index} of blob {manifest.Digest} with bytes that are not that chunk.");
                }
                if (arrival.NotYetHeld)
                {
                    var now = time.GetUtcNow();
                    from.Lacks(arrival.Index, now);
                    waitingSince.TryAdd(arrival.Index, now);
                    missing.Enqueue(arrival.Index);
                    continue;
                }
                if (!from.Dropped)
                {
                    from.Dropped = true;
                    if (arrival.Chunk is null)
                    {
                        Log.HolderDropped(logger, from.WorkerId, manifest.Digest, arrival.Failure!);
                    }
                    else
                    {
                        Log.BadChunk(logger, from.WorkerId, arrival.Index, manifest.Digest);
                    }
                }
                if (arrival.Chunk is not null && !badHolders.Contains(from.WorkerId))
                {
                    badHolders.Add(from.WorkerId);
                }
                missing.Enqueue(arrival.Index);
            }
            partial.Publish();
            Log.BlobFetched(logger, manifest.Digest, peerBytes, coordinatorBytes, badHolders.Count);
        }
        catch
        {
            // Nothing is left writing into the partial blob when it is let go of.
            await stop.CancelAsync();
            await Task.WhenAll(inFlight.Select(f => f.ContinueWith(_ => { }, TaskScheduler.Default)));
            throw;
        }
        finally
        {
            if (peerBytes > 0 || coordinatorBytes > 0 || badHolders.Count > 0)
            {
                transfers.Add(new TransferReport(source.Ticket.JobId, manifest.Digest, peerBytes, coordinatorBytes,
                    [.. badHolders.Take(SyncLimits.MaxBadHoldersPerTransfer)]));
            }
        }
    }

    /// <summary>A chunk from a holder: its bytes as sent (checked by the caller), or why none came.</summary>
    private async Task<Arrival> FromPeerAsync(HttpClient http, Holder holder, BlobManifest manifest, string ticket, int index, CancellationToken cancellationToken)
    {
        using var watch = new StallWatch(_settings.PeerStallTimeout, time, cancellationToken);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(holder.Endpoint, PeerRoutes.Chunk(manifest.Digest, index)));
            request.Headers.Add(PeerRoutes.TicketHeader, ticket);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watch.Token);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // A holder still fetching the blob itself: it may have the chunk in a moment.
                return new Arrival(index, holder, null, "not held yet", NotYetHeld: true);
            }
            if (!response.IsSuccessStatusCode)
            {
                return new Arrival(index, holder, null, $"HTTP {(int)response.StatusCode}");
            }
            watch.Progress();
            // One byte more than the chunk: a holder that sends too much has sent a bad chunk, whatever follows.
            var buffer = new byte[manifest.ChunkLength(index) + 1];
            var filled = 0;
            await using var body = await response.Content.ReadAsStreamAsync(watch.Token);
            while (filled < buffer.Length)
            {
                var read = await body.ReadAsync(buffer.AsMemory(filled), watch.Token);
                if (read == 0)
                {
                    break;
                }
                filled += read;
                watch.Progress();
            }
            return new Arrival(index, holder, buffer[..filled], null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new Arrival(index, holder, null, watch.Stalled ? $"sent nothing for {_settings.PeerStallTimeout}" : ex.Message);
        }
    }

    private async Task<Arrival> FromCoordinatorAsync(BlobTicket ticket, int index, CancellationToken cancellationToken) =>
        new(index, null, await coordinator.ReadChunkAsync(ticket, index, cancellationToken), null);

    /// <summary>A holder as this transfer sees it.</summary>
    private sealed class Holder(Guid workerId, Uri endpoint)
    {
        /// <summary>When the holder last said it did not have each chunk yet.</summary>
        private readonly Dictionary<int, DateTimeOffset> _lacking = [];

        public Guid WorkerId { get; } = workerId;

        public Uri Endpoint { get; } = endpoint;

        public int InFlight { get; set; }

        public bool Dropped { get; set; }

        public void Lacks(int index, DateTimeOffset now) => _lacking[index] = now;

        /// <summary>Whether the holder said it did not have the chunk so lately that asking again is no use yet.</summary>
        public bool LacksYet(int index, DateTimeOffset now) => _lacking.TryGetValue(index, out var at) && now - at < AskAgainAfter;
    }

    /// <summary>
    /// What came back for one chunk request: from a holder (null: the coordinator), the bytes, or why there were none;
    /// <paramref name="NotYetHeld"/> when the holder does not have the chunk (yet).
    /// </summary>
    private sealed record Arrival(int Index, Holder? Holder, byte[]? Chunk, string? Failure, bool NotYetHeld = false);
}

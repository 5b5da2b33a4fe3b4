using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Brings result payloads that stayed at the edge into the blob store, for the job grains that wait for them, off the
/// grains' turns (no grain call ever waits on a volunteer's HTTP). For each payload it tries the hosts that agreed on it in
/// turn: a host whose peer endpoint the coordinator lists is asked for the whole blob with a ticket of the coordinator's
/// own; one that is not listed, or whose endpoint failed, is asked through its sync to upload it
/// (<see cref="IHostGrain.RequestUploadAsync"/>) and given <see cref="VolunteerOptions.ResultPullTimeout"/> to do so; then
/// the next host, round and round, until the payload is stored or the job stops wanting it. The blob store checks every
/// payload against its digest, so no holder can slip in other bytes. Once stored, the job's grain is told
/// (<see cref="IJobGrain.ResultBlobStoredAsync"/>) and reads it from the store.
/// </summary>
/// <remarks>
/// Pulls live in the silo of the job grain that asked for them. A worker's upload may reach another silo: the upload
/// endpoint tells the job grains whose pulls wait here (<see cref="Uploaded"/>); a pull waiting in another silo finds the
/// payload in the store (shared by every silo in cluster mode) at the end of its wait.
/// </remarks>
public sealed class ResultPuller(
    IGrainFactory grains,
    IBlobStore blobs,
    CoordinatorKey coordinatorKey,
    IHttpClientFactory httpClients,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    ILogger<ResultPuller> logger) : IDisposable
{
    /// <summary>The HTTP client that pulls from peer endpoints; its timeout is the pull's own (<see cref="VolunteerOptions.ResultPullTimeout"/>).</summary>
    public const string HttpClientName = "result-pulls";

    private readonly ConcurrentDictionary<(Guid JobId, string Digest), PayloadPull> _pulls = new();
    private readonly CancellationTokenSource _stopping = new();

    private VolunteerOptions Options => options.Value;

    /// <summary>
    /// Pulls the payload <paramref name="digest"/> for the job from <paramref name="holders"/> (in that order of preference),
    /// or, when a pull of it is under way, adds them to those it tries.
    /// </summary>
    public void Pull(Guid jobId, string digest, IReadOnlyList<Guid> holders)
    {
        var key = (jobId, digest);
        if (_pulls.TryGetValue(key, out var running))
        {
            if (!running.Stopped.IsCancellationRequested)
            {
                running.Add(holders);
                return;
            }
            // Stopped (its job's grain went) and not yet gone: a new pull takes over.
            _pulls.TryRemove(KeyValuePair.Create(key, running));
        }
        var pull = new PayloadPull(jobId, digest, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        pull.Add(holders);
        if (_pulls.TryAdd(key, pull))
        {
            _ = Task.Run(() => RunAsync(pull));
        }
        else
        {
            pull.Dispose();
            Pull(jobId, digest, holders);
        }
    }

    /// <summary>Stops every pull of the job: it ended, or its grain is going (the next activation pulls what it still wants).</summary>
    public void Stop(Guid jobId)
    {
        foreach (var ((job, _), pull) in _pulls)
        {
            if (job == jobId)
            {
                pull.Stop();
            }
        }
    }

    /// <summary>
    /// A worker uploaded <paramref name="digest"/> into the store: the pulls of it here are over. Returns the jobs whose
    /// pulls waited for it here, to be told.
    /// </summary>
    public IReadOnlyList<Guid> Uploaded(string digest)
    {
        var jobs = new List<Guid>();
        foreach (var ((job, pulled), pull) in _pulls)
        {
            if (pulled == digest)
            {
                pull.Stop();
                jobs.Add(job);
            }
        }
        return jobs;
    }

    /// <summary>The whole of a payload in the store; null when the store has no such blob (any more).</summary>
    public async Task<byte[]?> ReadAsync(string digest, CancellationToken cancellationToken = default)
    {
        try
        {
            return await blobs.ReadWholeAsync(digest, cancellationToken);
        }
        catch (BlobMissingException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task RunAsync(PayloadPull pull)
    {
        var stopped = pull.Stopped;
        try
        {
            for (var round = 1; !await TryEveryHolderAsync(pull, stopped); round++)
            {
                if (round >= Options.ResultPullRounds)
                {
                    // Every holder has had its chance this many times: they are gone for good, and the job must not wait forever.
                    await grains.Reference<IJobGrain>(pull.JobId).PayloadUnreachableAsync(pull.Digest);
                    return;
                }
            }
            await grains.Reference<IJobGrain>(pull.JobId).ResultBlobStoredAsync(pull.Digest);
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // The job has it, or stopped wanting it.
        }
        catch (Exception ex)
        {
            // The job's grain could not be told (the silo is stopping, say): its next activation pulls again.
            Log.ResultPullAbandoned(logger, ex, pull.JobId, pull.Digest);
        }
        finally
        {
            _pulls.TryRemove(KeyValuePair.Create((pull.JobId, pull.Digest), pull));
            pull.Dispose();
        }
    }

    /// <summary>
    /// One round over the holders: true once the payload is in the store. A round lasts at least one pull timeout, so
    /// holders that fail at once (or a store that does) are not asked again and again in a tight loop.
    /// </summary>
    private async Task<bool> TryEveryHolderAsync(PayloadPull pull, CancellationToken stopped)
    {
        var started = time.GetTimestamp();
        foreach (var holder in pull.Holders)
        {
            try
            {
                if (await blobs.FindAsync(pull.Digest, stopped) is not null || await TryHolderAsync(pull, holder, stopped))
                {
                    return true;
                }
            }
            catch (Exception ex) when (!stopped.IsCancellationRequested)
            {
                Log.ResultPullFailed(logger, pull.JobId, pull.Digest, holder, ex.Message);
            }
        }
        var rest = Options.ResultPullTimeout - time.GetElapsedTime(started);
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, time, stopped);
        }
        return false;
    }

    /// <summary>Pulls from the holder's peer endpoint if it is listed; otherwise, or if that fails, asks it to upload and waits.</summary>
    private async Task<bool> TryHolderAsync(PayloadPull pull, Guid holder, CancellationToken stopped)
    {
        var host = grains.Reference<IHostGrain>(holder);
        if (await host.GetListedEndpointAsync() is { } endpoint && await TryPeerAsync(pull, holder, endpoint, stopped))
        {
            Log.ResultPulled(logger, pull.JobId, pull.Digest, holder);
            return true;
        }
        await host.RequestUploadAsync(pull.Digest);
        Log.ResultUploadRequested(logger, pull.JobId, pull.Digest, holder);
        // An upload through this silo stops the pull at once (Uploaded); one through another silo is found in the store here.
        await Task.Delay(Options.ResultPullTimeout, time, stopped);
        return await blobs.FindAsync(pull.Digest, stopped) is not null;
    }

    /// <summary>GETs the whole blob from the holder's peer endpoint, with a ticket, straight into the store (which checks it).</summary>
    private async Task<bool> TryPeerAsync(PayloadPull pull, Guid holder, string endpoint, CancellationToken stopped)
    {
        using var timeout = new CancellationTokenSource(Options.ResultPullTimeout, time);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopped, timeout.Token);
        try
        {
            var ticket = CoordinatorSignature.Ticket(
                coordinatorKey.Signer, pull.Digest, Guid.Empty, pull.JobId, time.GetUtcNow() + Options.TicketLifetime);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(endpoint), PeerRoutes.Blob(pull.Digest)));
            request.Headers.Add(PeerRoutes.TicketHeader, Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(ticket, ProtocolJson.Options)));
            using var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.ResultPullFailed(logger, pull.JobId, pull.Digest, holder, $"its peer endpoint answered {(int)response.StatusCode}");
                return false;
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellation.Token);
            if (await blobs.PutAsync(pull.Digest, body, Options.MaxResultBytes, time.GetUtcNow(), cancellation.Token) is null)
            {
                Log.ResultPullFailed(logger, pull.JobId, pull.Digest, holder, "what it served is not the payload (its digest or size differ)");
                return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UriFormatException
            || (ex is OperationCanceledException && !stopped.IsCancellationRequested))
        {
            Log.ResultPullFailed(logger, pull.JobId, pull.Digest, holder, ex is OperationCanceledException ? "it timed out" : ex.Message);
            return false;
        }
    }

    /// <summary>One payload being pulled for one job, and the hosts to try, in order.</summary>
    private sealed class PayloadPull(Guid jobId, string digest, CancellationTokenSource stopping) : IDisposable
    {
        private readonly List<Guid> _holders = [];

        public Guid JobId { get; } = jobId;

        public string Digest { get; } = digest;

        public CancellationToken Stopped { get; } = stopping.Token;

        /// <summary>The holders as they are now (more may be added while a round goes over them).</summary>
        public IReadOnlyList<Guid> Holders
        {
            get
            {
                lock (_holders)
                {
                    return [.. _holders];
                }
            }
        }

        public void Add(IReadOnlyList<Guid> holders)
        {
            lock (_holders)
            {
                foreach (var holder in holders)
                {
                    if (!_holders.Contains(holder))
                    {
                        _holders.Add(holder);
                    }
                }
            }
        }

        public void Stop()
        {
            try
            {
                stopping.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Over already.
            }
        }

        public void Dispose() => stopping.Dispose();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Peers;

/// <summary>
/// Hands this agent's signed reports to a peer to forward when no coordinator can be reached: the same bundle a sync
/// would carry (one job's reports and the worker's signature over them), with the pass the coordinator gave this
/// worker. The peers it knows are the relay peers of the coordinator's last answers (kept on disk, for an agent
/// restarted while cut off) and the holders its assignments named. A report a peer took stays in the outbox, to go up
/// in the agent's own sync once a coordinator answers again, and is not handed to a peer again for
/// <see cref="WorkerOptions.RelayAgainAfter"/>.
/// </summary>
public sealed class RelayCourier
{
    public const string FileName = "relay-peers.json";

    private readonly IHttpClientFactory _httpClients;
    private readonly WorkFolder _folder;
    private readonly WorkerIdentity _identity;
    private readonly ECDsa _key;
    private readonly CoordinatorLimits _limits;
    private readonly WorkerOptions _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<RelayCourier> _logger;
    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, PeerHolder> _holders = [];
    private readonly Dictionary<ReplicaRef, DateTimeOffset> _relayedAt = [];
    private RelayContacts _contacts;

    public RelayCourier(
        IHttpClientFactory httpClients, WorkFolder folder, WorkerIdentity identity, ECDsa key, CoordinatorLimits limits,
        IOptions<WorkerOptions> options, TimeProvider time, ILogger<RelayCourier> logger)
    {
        (_httpClients, _folder, _identity, _key, _limits, _settings, _time, _logger) = (httpClients, folder, identity, key, limits, options.Value, time, logger);
        _path = Path.Combine(_settings.StateDirectory, FileName);
        _contacts = File.Exists(_path)
            ? JsonSerializer.Deserialize<RelayContacts>(File.ReadAllBytes(_path), ProtocolJson.Options)!
            : new RelayContacts([], null);
    }

    /// <summary>The reports a peer took to relay and that are still in the outbox.</summary>
    public int RelayedReports
    {
        get
        {
            var pending = _folder.PendingReports().Select(r => r.Ref).ToHashSet();
            lock (_gate)
            {
                return _relayedAt.Keys.Count(pending.Contains);
            }
        }
    }

    /// <summary>Keeps the relay peers and the pass of a coordinator's answer (each only when it names them).</summary>
    public void Remember(PeerDirections directions)
    {
        lock (_gate)
        {
            var contacts = new RelayContacts(
                directions.RelayPeers.Count > 0 ? directions.RelayPeers : _contacts.RelayPeers,
                directions.Pass ?? _contacts.Pass);
            if (contacts.Pass == _contacts.Pass && contacts.RelayPeers.SequenceEqual(_contacts.RelayPeers))
            {
                return;
            }
            _contacts = contacts;
            DurableFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(contacts, ProtocolJson.Options));
        }
    }

    /// <summary>Holders an assignment named: peers that were reachable, to try after the relay peers.</summary>
    public void LearnHolders(IEnumerable<PeerHolder> holders)
    {
        lock (_gate)
        {
            foreach (var holder in holders)
            {
                _holders[holder.WorkerId] = holder;
            }
        }
    }

    /// <summary>
    /// Hands every pending report not handed over lately to the first peer that takes it, one job's bundle at a time.
    /// Returns how many reports peers took.
    /// </summary>
    public async Task<int> RelayAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        PeerPass? pass;
        List<ReplicaReport> due;
        List<(Guid WorkerId, Uri Endpoint)> peers;
        lock (_gate)
        {
            pass = _contacts.Pass;
            due = [.. _folder.PendingReports().Where(r => !_relayedAt.TryGetValue(r.Ref, out var at) || now - at >= _settings.RelayAgainAfter)];
            peers = [.. _contacts.RelayPeers.Concat(_holders.Values)
                .Where(p => p.WorkerId != _identity.WorkerId)
                .DistinctBy(p => p.WorkerId)
                .Select(p => (p.WorkerId, Endpoint: SwarmFetcher.EndpointOf(p)))
                .Where(p => p.Endpoint is not null)
                .Select(p => (p.WorkerId, p.Endpoint!))];
        }
        if (due.Count == 0)
        {
            return 0;
        }
        if (pass is null || pass.ExpiresAt <= now)
        {
            Log.RelayImpossible(_logger, due.Count, "the coordinator has given this worker no pass that is still good");
            return 0;
        }
        if (peers.Count == 0)
        {
            Log.RelayImpossible(_logger, due.Count, "this worker knows no peer");
            return 0;
        }
        var http = _httpClients.CreateClient(SwarmFetcher.PeersClient);
        var relayed = 0;
        foreach (var bundle in due.GroupBy(r => r.JobId).SelectMany(job => job.Chunk(_limits.Current.MaxReportsPerSync)))
        {
            var reports = new RelayBundle(pass, bundle, ReportSignature.Sign(_key, _identity.WorkerId, bundle));
            foreach (var (workerId, endpoint) in peers)
            {
                if (await HandOverAsync(http, workerId, endpoint, reports, cancellationToken))
                {
                    lock (_gate)
                    {
                        foreach (var report in bundle)
                        {
                            _relayedAt[report.Ref] = now;
                        }
                    }
                    relayed += bundle.Length;
                    break;
                }
            }
        }
        return relayed;
    }

    private async Task<bool> HandOverAsync(HttpClient http, Guid workerId, Uri endpoint, RelayBundle bundle, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_settings.RequestTimeout);
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri(endpoint, PeerRoutes.Relay), bundle, ProtocolJson.Options, attempt.Token);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                Log.ReportsRelayed(_logger, bundle.Reports.Count, bundle.Reports[0].JobId, workerId);
                return true;
            }
            Log.RelayDeclined(_logger, workerId, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.RelayDeclined(_logger, workerId, ex.Message);
        }
        return false;
    }

    /// <summary>Where to hand reports when cut off, as the coordinator last said.</summary>
    private sealed record RelayContacts(IReadOnlyList<PeerHolder> RelayPeers, PeerPass? Pass);
}

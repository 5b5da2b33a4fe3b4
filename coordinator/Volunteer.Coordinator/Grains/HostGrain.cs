using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Peers;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// A volunteer host's syncs, one at a time (not reentrant: two syncs of one host racing could each stay
/// within its cap and together exceed it). What the host holds is learnt from the jobs themselves after each
/// call, never from the host's own word, so a host that hides what it holds cannot hoard. The daily quota is
/// kept in the store when its results are judged and when the grain deactivates; a crash forgets at most the
/// replicas issued since, which errs on the host's side. Its record with each app (what adaptive replication trusts) is
/// written by the jobs with their judgements; the grain keeps a copy, read at activation and brought up to date by what
/// the jobs tell it, and from it decides whether the host is trusted, and whether it returns more than it could compute.
/// As the peer index, it keeps the host's endpoint and holdings (<see cref="IndexedPeer"/>, soft state), lists the host
/// with the blobs' holders grains once the coordinator has connected back to it, and unlists it for good (persisted, as a
/// flag) once enough accounts caught it serving bad data.
/// </summary>
[PreferLocalPlacement]
public sealed class HostGrain(
    IWorkStore store,
    WorkerDirectory directory,
    RunningJobs runningJobs,
    PeerProbe probe,
    CoordinatorKey coordinatorKey,
    CoordinatorMetrics metrics,
    IOptions<VolunteerOptions> options,
    TimeProvider time,
    ILogger<HostGrain> logger) : Grain, IHostGrain
{
    /// <summary>The reserved app name of the flag of a host unlisted for serving bad data: it shows with the operators' flagged hosts.</summary>
    public const string PeerDataFlag = "peer-data";

    /// <summary>How often a listed host is listed again with its blobs' holders grains, which keep soft state.</summary>
    public static readonly TimeSpan ListingRefreshInterval = TimeSpan.FromMinutes(5);

    private readonly Dictionary<Guid, int> _holdingByJob = [];
    private readonly Dictionary<string, HostTally> _reliability = [];
    // The sets below are empty for almost every host, and a silo holds 100,000 host grains: made when first needed.
    private HashSet<string>? _flagged;
    private readonly Dictionary<string, ResultRate> _rates = [];

    /// <summary>The jobs the host synced with since the grain activated, and their apps: where its results accepted alone may wait.</summary>
    private readonly Dictionary<Guid, string> _jobsSynced = [];
    private HostQuotaRecord? _quota;
    private HostQuotaRecord? _stored;
    private WorkerRecord? _worker;
    private int _cores;

    private IndexedPeer? _peer;

    /// <summary>Result blobs the host is asked to upload, until the coordinator has them (<see cref="ReleaseAsync"/>).</summary>
    private HashSet<string>? _uploads;

    /// <summary>Result blobs the host may drop, told in its next answer only.</summary>
    private HashSet<string>? _release;

    /// <summary>The accounts whose hosts reported this one for a bad chunk since the grain activated.</summary>
    private HashSet<Guid>? _accusers;
    private PeerPass? _pass;
    private IGrainTimer? _listingRefresh;

    private Guid WorkerId => this.GetPrimaryKey();

    private VolunteerOptions Options => options.Value;

    private int FullQuota => (int)Math.Min(int.MaxValue, (long)Options.DailyQuotaPerCore * _cores);

    private int MaxInProgress => (int)Math.Min(Options.MaxInProgressPerHost, (long)Options.InProgressPerCore * _cores);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The cores it attached with never change; a job telling of its results may wake the grain before any sync.
        _worker = (await directory.FindAsync(WorkerId, cancellationToken))?.Record;
        _cores = _worker?.Cores ?? 1;
        _stored = await store.FindHostQuotaAsync(WorkerId, cancellationToken);
        _quota = _stored;
        foreach (var record in await store.ListHostReliabilityAsync(WorkerId, cancellationToken))
        {
            _reliability[record.App] = record.Tally;
        }
        foreach (var flag in await store.ListHostFlagsAsync(WorkerId, int.MaxValue, cancellationToken: cancellationToken))
        {
            (_flagged ??= []).Add(flag.App);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SaveAsync(null);
        // What the grain knew of the host as a peer goes with it: the next activation lists it again once reached again.
        // (Should this fail, the holders drop the entry once it is no longer refreshed.)
        if (_peer is not null)
        {
            await ApplyAsync(_peer.Unlist());
        }
    }

    /// <summary>Unlisted for good: the host served bad data (and its flag says so, in the store).</summary>
    private bool UnlistedForGood => IsFlagged(PeerDataFlag);

    private bool IsFlagged(string app) => _flagged?.Contains(app) == true;

    public async Task<HostSyncOutcome> SyncAsync(HostSync sync)
    {
        var now = time.GetUtcNow();
        Quota(now);
        var heldByJob = sync.InProgress?.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<ReplicaRef>)g.ToList());
        IReadOnlyList<ReplicaRef>? HeldOf(Guid jobId) => heldByJob is null ? null : heldByJob.GetValueOrDefault(jobId, []);
        var knowsRunning = sync.RequestUnits > 0 || heldByJob is { Count: > 0 };
        var running = knowsRunning ? await runningJobs.GetAsync() : [];
        var called = new HashSet<Guid>();
        var cancelled = new List<ReplicaRef>();
        var outcomes = new List<JobSyncOutcome>();
        var leased = 0;

        async Task<JobSyncOutcome> CallAsync(Guid jobId, IReadOnlyList<ReplicaResult> results, int wanted)
        {
            called.Add(jobId);
            var mayHold = MaxInProgress - _holdingByJob.Where(h => h.Key != jobId).Sum(h => h.Value);
            var app = running.FirstOrDefault(r => r.JobId == jobId)?.App;
            if (app is not null)
            {
                _jobsSynced[jobId] = app;
            }
            var outcome = await GrainFactory.Reference<IJobGrain>(jobId)
                .SyncAsync(new JobSync(Standing(sync.Host, app), results, HeldOf(jobId), wanted, mayHold, _quota!.Left(now)));
            if (outcome.Refused.Count > 0)
            {
                return outcome;
            }
            _holdingByJob[jobId] = outcome.Holding;
            if (outcome.Issued > 0)
            {
                _quota = _quota!.Issue(outcome.Issued, now);
            }
            leased += outcome.Leases.Count;
            cancelled.AddRange(outcome.Cancelled);
            outcomes.Add(outcome);
            return outcome;
        }

        // The reports' job first, alone: until it has accepted them no other job may lease, or a refused
        // sync would hand out work. It leases too when it is first in line, as in the common sync.
        if (sync.Results.Count > 0)
        {
            var jobId = sync.Results[0].Replica.JobId;
            var firstInLine = running.Count > 0 && running[0].JobId == jobId;
            var outcome = await CallAsync(jobId, sync.Results, firstInLine ? sync.RequestUnits : 0);
            if (outcome.Refused.Count > 0)
            {
                return new HostSyncOutcome(outcome.Refused, [], []);
            }
            // Carried up by another worker: its results are in, and nothing else of this sync is the host's.
            if (sync.Relayed)
            {
                return new HostSyncOutcome([], [], []);
            }
        }
        // Then the jobs in line, one after another, each once, until the host has what it asked for or all it
        // may hold. The first is always asked: it sends again the leases whose answer the host lost, cap or not.
        foreach (var job in running)
        {
            if (leased >= sync.RequestUnits || (called.Count > 0 && _holdingByJob.Values.Sum() >= MaxInProgress))
            {
                break;
            }
            if (!called.Contains(job.JobId))
            {
                await CallAsync(job.JobId, [], sync.RequestUnits - leased);
            }
        }
        // Last, the other jobs the worker holds replicas of. A running one says which to drop, all together;
        // of a job that is not running (ended, or never was) every replica is dropped, and no grain wakes for it.
        var uncalled = heldByJob?.Keys.Where(job => !called.Contains(job)).ToList() ?? [];
        if (uncalled.Any(job => !running.Any(r => r.JobId == job)))
        {
            // This silo's copy may miss a job just started through another silo: ask the catalog itself.
            running = await runningJobs.GetAsync(fresh: true);
        }
        var stillRunning = running.Select(r => r.JobId).ToHashSet();
        foreach (var job in uncalled.Where(job => !stillRunning.Contains(job)))
        {
            cancelled.AddRange(heldByJob![job]);
        }
        await Task.WhenAll(uncalled.Where(stillRunning.Contains).Select(job => CallAsync(job, [], 0)));
        if (knowsRunning)
        {
            // A job that ended holds nothing of the host's any more.
            foreach (var job in _holdingByJob.Keys.Where(job => !stillRunning.Contains(job)).ToList())
            {
                _holdingByJob.Remove(job);
            }
        }
        if (sync.Peer is not null)
        {
            await AdvertiseAsync(sync.Peer, now);
        }
        if (_peer is { Listed: true } && outcomes.Any(o => o.Leases.Count > 0 && (o.InputBlobs is { Count: > 0 } || o.Module is not null)))
        {
            _peer.Fetching(outcomes.Where(o => o.Leases.Count > 0)
                .SelectMany(o => o.Module is { } module ? [.. o.InputBlobs ?? [], module] : o.InputBlobs ?? []));
        }
        // Only a sync that spoke as a peer, or a host with directions waiting, is answered as a peer: the common sync costs nothing more.
        var directions = sync.Peer is not null || _uploads is { Count: > 0 } || _release is { Count: > 0 } ? Directions(now) : null;
        return new HostSyncOutcome([], cancelled, outcomes, directions);
    }

    private async Task AdvertiseAsync(PeerContact contact, DateTimeOffset now)
    {
        var peer = Peer();
        var address = contact.Address is not null && IPAddress.TryParse(contact.Address, out var parsed) ? parsed : null;
        var change = peer.Advertise(contact.Advert, address, contact.Network);
        // A blob the host no longer holds cannot be uploaded: the job asks another holder.
        _uploads?.ExceptWith(contact.Advert.Removed ?? []);
        await ApplyAsync(change);
        if (peer.StartProbe(now) is { } endpoint)
        {
            Probe(endpoint);
        }
    }

    /// <summary>The host as the peer index knows it, from its first advert on (after each activation).</summary>
    private IndexedPeer Peer()
    {
        if (_peer is null)
        {
            // Holdings are tracked up to what one advert may list.
            _peer = new IndexedPeer(options.Value.SyncLimits.MaxInProgress);
            if (UnlistedForGood)
            {
                _peer.UnlistForGood();
            }
        }
        return _peer;
    }

    /// <summary>
    /// Connects back to the endpoint off the grain's turn (a probe may take its whole timeout, and syncs must not wait
    /// for it); the answer comes back as a call to <see cref="ProbedAsync"/>.
    /// </summary>
    private void Probe(string endpoint)
    {
        var self = this.AsReference<IHostGrain>();
        var (workerId, timeout) = (WorkerId, options.Value.PeerProbeTimeout);
        _ = Task.Run(async () =>
        {
            try
            {
                await self.ProbedAsync(endpoint, await probe.ReachesAsync(endpoint, workerId, timeout));
            }
            catch (Exception ex)
            {
                // The grain went away meanwhile, say: its next activation probes again.
                Log.PeerProbeLost(logger, ex, workerId, endpoint);
            }
        });
    }

    public async Task ProbedAsync(string endpoint, bool reached)
    {
        if (_peer is null)
        {
            return;
        }
        var wasListed = _peer.Listed;
        var change = _peer.Probed(endpoint, reached, time.GetUtcNow());
        metrics.CountPeerProbe(reached);
        if (!reached)
        {
            Log.PeerNotReached(logger, WorkerId, endpoint);
            return;
        }
        await ApplyAsync(change);
        if (!wasListed && _peer.Listed)
        {
            Log.PeerListed(logger, WorkerId, endpoint, _peer.Holdings.Count);
            _listingRefresh ??= this.RegisterGrainTimer(RefreshListingAsync, new GrainTimerCreationOptions(ListingRefreshInterval, ListingRefreshInterval));
        }
    }

    private Task RefreshListingAsync(CancellationToken cancellationToken) => _peer is null ? Task.CompletedTask : ApplyAsync(_peer.Refresh());

    /// <summary>Tells the blobs' holders grains of the host's listing, and waits for them: once a sync's answer says Listed, picks see it.</summary>
    private Task ApplyAsync(ListingChange change)
    {
        if (change.IsEmpty)
        {
            return Task.CompletedTask;
        }
        var holder = new BlobHolder(WorkerId, _worker?.AccountId ?? Guid.Empty, _peer!.Endpoint ?? "", _peer.Network, _peer.UploadBytesPerSecond);
        return Task.WhenAll(
            change.Unlist.Select(digest => GrainFactory.Reference<IBlobHoldersGrain>(digest).UnlistAsync(WorkerId))
                .Concat(change.List.Select(digest => GrainFactory.Reference<IBlobHoldersGrain>(digest).ListAsync(holder))));
    }

    private HostPeerDirections Directions(DateTimeOffset now)
    {
        IReadOnlyList<string> release = _release is null ? [] : [.. _release];
        _release = null;
        return new HostPeerDirections(
            SendHoldings: _peer is not { HoldingsKnown: true },
            ListedEndpoint: _peer is { Listed: true } ? _peer.Endpoint : null,
            Network: _peer?.Network,
            Uploads: _uploads is null ? [] : [.. _uploads],
            Release: release,
            Pass: Pass(now));
    }

    /// <summary>The host's pass, signed again once half its lifetime has gone, so a sync seldom signs.</summary>
    private PeerPass Pass(DateTimeOffset now)
    {
        var lifetime = options.Value.PeerPassLifetime;
        if (_pass is null || _pass.ExpiresAt - now < lifetime / 2)
        {
            _pass = CoordinatorSignature.Pass(coordinatorKey.Signer, WorkerId, _worker?.PublicKey ?? "", now + lifetime);
        }
        return _pass;
    }

    public async Task AccuseAsync(Guid accuserId, Guid accuserAccountId)
    {
        // A host cannot accuse itself (to shed trust it would lose anyway, or to test the rule); nor be unlisted twice.
        if (accuserId == WorkerId || UnlistedForGood || !(_accusers ??= []).Add(accuserAccountId)
            || _accusers.Count < options.Value.BadChunkReportsToUnlist)
        {
            return;
        }
        var now = time.GetUtcNow();
        (_flagged ??= []).Add(PeerDataFlag);
        await ApplyAsync(Peer().UnlistForGood());
        Log.PeerUnlisted(logger, WorkerId, _accusers!.Count);
        metrics.PeersUnlisted.Add(1);
        // What it sent alone to any job goes back to be replicated, as for a host caught with a wrong result.
        foreach (var job in _jobsSynced.Keys)
        {
            GrainFactory.Reference<IJobGrain>(job).DistrustAsync(WorkerId).Ignore();
        }
        await SaveAsync(new HostFlagRecord(WorkerId, PeerDataFlag, now, 0, 0,
            $"Served chunks that failed their digest to hosts of {_accusers.Count} accounts: no longer listed as a peer, and trusted for no app."));
    }

    public async Task RecordAsync(JobTally told)
    {
        var (jobId, app, tally, holding) = (told.JobId, told.App, told.Tally, told.Holding);
        var now = time.GetUtcNow();
        // A lease that timed out or was cancelled is no longer held: without this, a host at its cap would
        // never be offered work again until it synced with that very job.
        if (holding > 0)
        {
            _holdingByJob[jobId] = holding;
        }
        else
        {
            _holdingByJob.Remove(jobId);
        }
        _quota = Quota(now).Judged(tally, FullQuota);
        _reliability[app] = _reliability.TryGetValue(app, out var record) ? record.Then(tally) : tally;
        var flag = CountValid(app, tally.Valid, told.CostPerUnitSeconds, now);
        // Caught in one job, or flagged: what it sent alone to the others goes back to be replicated too.
        if (tally.Invalid > 0 || flag is not null)
        {
            foreach (var (job, _) in _jobsSynced.Where(j => j.Value == app && (flag is not null || j.Key != jobId)))
            {
                GrainFactory.Reference<IJobGrain>(job).DistrustAsync(WorkerId).Ignore();
            }
        }
        await SaveAsync(flag);
    }

    /// <summary>The host as the job of <paramref name="app"/> places replicas: with its cores, its trust and its usual turnaround.</summary>
    private VolunteerHost Standing(VolunteerHost host, string? app)
    {
        var record = app is null ? null : _reliability.GetValueOrDefault(app);
        return host with
        {
            Cores = _cores,
            Trusted = record is not null && record.ConsecutiveValid >= Options.AdaptiveTrustThreshold && !IsFlagged(app!)
                && !UnlistedForGood,
            UsualTurnaroundSeconds = record?.AverageTurnaround?.TotalSeconds,
        };
    }

    /// <summary>
    /// Counts the host's valid results of the app over the last hour, and flags it when they exceed what its cores could
    /// compute in an hour at the cost per unit measured across the population (by the tolerance setting).
    /// </summary>
    private HostFlagRecord? CountValid(string app, long valid, double? costPerUnitSeconds, DateTimeOffset now)
    {
        if (!_rates.TryGetValue(app, out var rate))
        {
            _rates[app] = rate = new ResultRate();
        }
        rate.Count(valid, now);
        if (IsFlagged(app) || !rate.Exceeds(_cores, costPerUnitSeconds, Options.AnomalyTolerance, Options.AnomalyMinResults))
        {
            return null;
        }
        (_flagged ??= []).Add(app);
        var capacity = ResultRate.CapacityPerHour(_cores, costPerUnitSeconds!.Value);
        Log.HostFlagged(logger, WorkerId, app, rate.LastHour, capacity);
        return new HostFlagRecord(WorkerId, app, now, rate.LastHour, capacity,
            $"{rate.LastHour} valid results of {app} in an hour; its {_cores} core(s) could compute about {capacity:0.#} at the " +
            $"{costPerUnitSeconds.Value:0.###} core-seconds a unit costs across the population.");
    }

    public Task<string?> GetListedEndpointAsync() => Task.FromResult(_peer is { Listed: true } ? _peer.Endpoint : null);

    public Task RequestUploadAsync(string digest)
    {
        (_uploads ??= new(StringComparer.Ordinal)).Add(digest);
        return Task.CompletedTask;
    }

    public Task<bool> IsUploadRequestedAsync(string digest) => Task.FromResult(_uploads?.Contains(digest) == true);

    public Task ReleaseAsync(IReadOnlyList<string> digests)
    {
        // The coordinator has them: an upload still asked for is no longer wanted.
        _uploads?.ExceptWith(digests);
        (_release ??= new(StringComparer.Ordinal)).UnionWith(digests);
        return Task.CompletedTask;
    }

    public Task<HostLimits> GetLimitsAsync()
    {
        var quota = Quota(time.GetUtcNow());
        return Task.FromResult(new HostLimits(quota.Quota, quota.IssuedToday, _holdingByJob.Values.Sum(), MaxInProgress));
    }

    /// <summary>The host's quota as of <paramref name="now"/>; a host never seen before starts with its full quota.</summary>
    private HostQuotaRecord Quota(DateTimeOffset now)
    {
        _quota = (_quota ?? HostQuotaRecord.Fresh(WorkerId, FullQuota, now)).AsOf(now);
        return _quota;
    }

    /// <summary>Writes the quota if it changed, and the flag if the host was just flagged.</summary>
    private async Task SaveAsync(HostFlagRecord? flag)
    {
        var batch = new WorkBatch();
        if (_quota is not null && _quota != _stored)
        {
            batch.HostQuotas.Add(_quota);
        }
        if (flag is not null)
        {
            batch.HostFlags.Add(flag);
        }
        if (batch.IsEmpty)
        {
            return;
        }
        var quota = _quota;
        await store.CommitAsync(batch);
        _stored = quota;
    }
}

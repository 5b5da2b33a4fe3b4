using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Apps;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Peers;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// One sync round trip (BOINC's scheduler RPC): checks the worker's reports here, at the edge, then hands the
/// sync to the host's grain, which commits the reports, says which replicas to drop, and leases new work from
/// the running jobs in priority order within the host's limits. Each job's grain is called at most once per
/// sync; a sync with any bad report is refused whole and changes nothing.
/// As a peer, the worker's sync also carries its advert (to the host's grain, the peer index), the reports it relays
/// for workers that cannot reach a coordinator (each bundle applied as its origin's own, or refused, on its own), and
/// how its blob fetches went (peer bytes to the jobs' figures, bad holders accused). A sync that says nothing as a peer
/// and leases no unit reading a blob costs what it cost before any of this.
/// </summary>
public sealed class WorkerSync(
    IGrainFactory grains,
    AppDirectory apps,
    WorkerDirectory directory,
    BlobSources blobSources,
    RecentPeers recentPeers,
    RunningJobs runningJobs,
    IWorkStore store,
    IOptions<VolunteerOptions> options,
    CoordinatorMetrics metrics,
    ILogger<WorkerSync> logger)
{
    // Settings are read once at start-up: the release every sync answer announces.
    private readonly AgentRelease? _latestAgent = options.Value.LatestAgent;

    /// <param name="network">The network the sync comes from as placement separates them (<see cref="ClientNetwork"/>).</param>
    /// <param name="address">The client's address (past trusted proxies): with its advertised port, its peer endpoint.</param>
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> SyncAsync(
        AttachedWorker worker, string? network, IPAddress? address, SyncRequest request)
    {
        var limits = options.Value.SyncLimits;
        var (sync, problem) = SyncRequestRules.Check(request, limits);
        if (sync is null)
        {
            return problem!;
        }
        var reports = request.Reports ?? [];
        if (reports.Count > 0 && !directory.SignedBy(worker, reports, request.Signature))
        {
            return Refuse(sync.Results.Select(r => new RefusedReport(r.Replica, ReportVerdict.BadSignature)).ToList());
        }
        var client = address is null ? null : PeerEndpoint.Normalize(address);
        var peer = request.Peer is null ? null : new PeerContact(request.Peer, client?.ToString(), PeerNetwork(client));

        var outcome = await grains.Reference<IHostGrain>(worker.Id).SyncAsync(
            new HostSync(new VolunteerHost(worker.Id, worker.AccountId, network), sync.Results, request.InProgress, request.RequestUnits, peer));
        if (outcome.Refused.Count > 0)
        {
            return Refuse(outcome.Refused);
        }
        var assignments = new List<Assignment>();
        var joining = outcome.Peer is { ListedEndpoint: { } endpoint }
            ? new BlobHolder(worker.Id, worker.AccountId, endpoint, outcome.Peer.Network, request.Peer?.UploadBytesPerSecond ?? 0)
            : null;
        foreach (var job in outcome.Jobs.Where(job => job.Leases.Count > 0))
        {
            var blobs = job.InputBlobs is { Count: > 0 } digests
                ? await blobSources.ForAsync(worker.Id, job.Leases[0].JobId, digests, PeerNetwork(client), joining)
                : null;
            var module = job.Module is null ? null : await ModuleAsync(worker.Id, job, PeerNetwork(client), joining);
            assignments.AddRange(job.Leases.Select(lease => AssignmentOf(job.App, lease, blobs, module)));
        }
        var relayed = request.Relayed is { Count: > 0 } bundles
            ? await Task.WhenAll(bundles.Select((bundle, i) => RelayAsync(worker, bundle, sync.Relayed[i])))
            : null;
        if (request.Transfers is { Count: > 0 } transfers)
        {
            await TakeTransfersAsync(worker, transfers);
        }
        var directions = outcome.Peer is { } told ? Directions(worker.Id, told, PeerNetwork(client)) : null;
        return TypedResults.Ok(new SyncResponse(reports.Count, assignments, outcome.Cancelled, limits, directions, relayed)
        {
            LatestAgent = _latestAgent,
        });
    }

    private static Assignment AssignmentOf(string app, ReplicaLease lease, IReadOnlyList<BlobSource>? blobs, AppModule? module)
    {
        using var input = JsonDocument.Parse(lease.Input);
        return new Assignment(lease.JobId, lease.UnitIndex, lease.Replica, app, input.RootElement.Clone(), lease.Deadline, blobs, module);
    }

    /// <summary>
    /// The signed module a registered WebAssembly app's leases run, with where to fetch its blob as any blob is fetched
    /// (a ticket for this worker and job, and holders, peers first).
    /// </summary>
    private async Task<AppModule?> ModuleAsync(Guid workerId, JobSyncOutcome job, string? network, BlobHolder? joining)
    {
        if (await apps.FindAsync(job.App) is not WasmScienceApp { Version: var version }
            || (await blobSources.ForAsync(workerId, job.Leases[0].JobId, [version.Module], network, joining)) is not [var source])
        {
            // A job records only registered versions, whose modules are kept for good.
            AppsLog.ModuleMissing(logger, job.Leases[0].JobId, job.App);
            return null;
        }
        return new AppModule(version.Name, version.Version, version.Limits, version.Signature, source);
    }

    /// <summary>The network of a peer, for closeness, whether or not placement separates networks.</summary>
    private string? PeerNetwork(IPAddress? client) => client is null ? null : ClientNetwork.Of(client, options.Value);

    /// <summary>
    /// Applies one relayed bundle as its origin's own reports, if the origin's key signed them: through the origin's
    /// grain, results only. Its outcome never fails the carrier's sync: refused reports are said so, and a bundle that
    /// could not be applied now (a grain or the store failing) is neither accepted nor refused, to come up again.
    /// </summary>
    private async Task<RelayOutcome> RelayAsync(AttachedWorker carrier, RelayedReports bundle, IReadOnlyList<ReplicaResult> results)
    {
        try
        {
            var origin = await directory.FindAsync(bundle.WorkerId, CancellationToken.None);
            if (origin is null)
            {
                metrics.CountRelayRefused(results.Count, "UnknownWorker");
                return new RelayOutcome(bundle.WorkerId, 0, [.. results.Select(r => new ReportRefusal(
                    r.Replica, "UnknownWorker", $"No worker {bundle.WorkerId} is attached here: its reports cannot be checked."))]);
            }
            if (!directory.SignedBy(origin, bundle.Reports, bundle.Signature))
            {
                return RefuseRelayed(bundle.WorkerId, [.. results.Select(r => new RefusedReport(r.Replica, ReportVerdict.BadSignature))]);
            }
            // Placement compares networks only when leasing, and a relayed sync leases nothing: the origin's network is not needed.
            var outcome = await grains.Reference<IHostGrain>(origin.Id).SyncAsync(
                new HostSync(new VolunteerHost(origin.Id, origin.AccountId, null), results, null, 0, Relayed: true));
            if (outcome.Refused.Count > 0)
            {
                return RefuseRelayed(bundle.WorkerId, outcome.Refused);
            }
            await grains.Reference<IJobGrain>(results[0].Replica.JobId).CountRelayAsync(new JobRelay(0, 0, 0, 0, results.Count));
            metrics.CountRelayed(results.Count);
            return new RelayOutcome(bundle.WorkerId, results.Count, []);
        }
        catch (Exception ex)
        {
            Log.RelayFailed(logger, ex, carrier.Id, bundle.WorkerId);
            return new RelayOutcome(bundle.WorkerId, 0, []);
        }
    }

    private RelayOutcome RefuseRelayed(Guid origin, IReadOnlyList<RefusedReport> refused)
    {
        foreach (var group in refused.GroupBy(r => r.Verdict))
        {
            metrics.CountRelayRefused(group.Count(), group.Key.ToString());
        }
        return new RelayOutcome(origin, 0, [.. refused.Select(r => new ReportRefusal(r.Replica, r.Verdict.ToString(), r.Verdict.Describe()))]);
    }

    /// <summary>
    /// Adds the peer bytes and bad chunks of each job's fetches to its figures, and accuses each bad holder: an
    /// accusation counts only if the index handed that holder to this worker for that blob, so no worker can smear a peer
    /// it never fetched from. A fetch is told in the sync after it, which may come once its job has ended (its last
    /// units done by others): such a job still counts it, if the store knows it; no grain wakes for a job that never was.
    /// </summary>
    private async Task TakeTransfersAsync(AttachedWorker worker, IReadOnlyList<TransferReport> transfers)
    {
        var running = (await runningJobs.GetAsync()).Select(j => j.JobId).ToHashSet();
        foreach (var job in transfers.GroupBy(t => t.JobId))
        {
            if (!running.Contains(job.Key) && await store.FindJobAsync(job.Key) is null)
            {
                continue;
            }
            await grains.Reference<IJobGrain>(job.Key).CountRelayAsync(
                new JobRelay(0, job.Sum(t => t.PeerBytes), job.Sum(t => (long)t.BadHolders.Count), 0, 0));
        }
        var accusations = transfers.SelectMany(t => t.BadHolders.Select(holder => (t.Digest, Holder: holder)))
            .Where(a => a.Holder != worker.Id)
            .Distinct();
        await Task.WhenAll(accusations.Select(async a =>
        {
            var handed = await grains.Reference<IBlobHoldersGrain>(a.Digest).WasHandedAsync(a.Holder, worker.Id);
            metrics.CountAccusation(handed);
            if (handed)
            {
                await grains.Reference<IHostGrain>(a.Holder).AccuseAsync(worker.Id, worker.AccountId);
            }
        }));
    }

    /// <summary>The host's grain's directions, with a few other listed hosts to relay through; a listed host is one of those for others.</summary>
    private PeerDirections Directions(Guid workerId, HostPeerDirections told, string? network)
    {
        if (told.ListedEndpoint is { } endpoint)
        {
            recentPeers.Synced(workerId, endpoint, told.Network);
        }
        else
        {
            recentPeers.Forget(workerId);
        }
        return new PeerDirections(told.SendHoldings, told.ListedEndpoint is not null, told.Uploads, told.Release,
            recentPeers.For(workerId, network), told.Pass);
    }

    private ProblemHttpResult Refuse(IReadOnlyList<RefusedReport> refused)
    {
        foreach (var refusal in refused)
        {
            metrics.CountRefusal(refusal.Verdict);
        }
        // Reports of another worker's replica or forged ones are forbidden; a report that cannot be true (fuel above the
        // limit) is bad input; late, cancelled or replayed ones conflict with state.
        var forbidden = refused.Any(r => r.Verdict is ReportVerdict.NotLeasedToWorker or ReportVerdict.BadSignature);
        var bad = refused.Any(r => r.Verdict is ReportVerdict.FuelAboveLimit);
        var first = refused[0];
        return TypedResults.Problem(
            detail: $"{refused.Count} report(s) refused; nothing in this sync was applied. " +
                    $"First: job {first.Replica.JobId} unit {first.Replica.UnitIndex} replica {first.Replica.Replica}: {first.Verdict.Describe()}",
            statusCode: forbidden ? StatusCodes.Status403Forbidden : bad ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict,
            title: "Reports refused.",
            extensions: new Dictionary<string, object?>
            {
                ["refused"] = refused.Select(r => new ReportRefusal(r.Replica, r.Verdict.ToString(), r.Verdict.Describe())).ToList(),
            });
    }
}

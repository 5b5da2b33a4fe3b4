using Volunteer.Apps.Primes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// Reports relayed for a worker that cannot reach the coordinator: another worker carries them up in its own sync,
/// signed by their origin. They are credited to the origin, refused if altered, forged or replayed, and what becomes
/// of them never changes what becomes of the carrier's own reports.
/// </summary>
public sealed class RelayedReportsTests(UnthrottledCoordinatorFactory factory) : IClassFixture<UnthrottledCoordinatorFactory>, IAsyncLifetime
{
    private readonly HttpClient _jobs = factory.CreateJobsClient();

    private JobView _job = null!;
    private SimulatedWorker _origin = null!;
    private SimulatedWorker _carrier = null!;
    private Assignment _originLease = null!;
    private Assignment _carrierLease = null!;

    /// <summary>A fresh primes job per test: the origin holds replica 0 of unit 0, the carrier replica 1.</summary>
    public async Task InitializeAsync()
    {
        await Api.CancelRunningJobsAsync(_jobs);
        _job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 1000, 100));
        _origin = await factory.SharedWorkerAsync("origin");
        _carrier = await factory.SharedWorkerAsync("carrier");
        _originLease = Assert.Single(await _origin.LeaseAsync(1));
        _carrierLease = Assert.Single(await _carrier.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(_job.Id, 0, 0), _originLease.Ref);
        Assert.Equal(new ReplicaRef(_job.Id, 0, 1), _carrierLease.Ref);
        // A primes unit reads no blob: its assignment names none.
        Assert.Null(_originLease.Blobs);
    }

    public Task DisposeAsync()
    {
        _jobs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Relayed_reports_are_credited_to_their_origin()
    {
        var report = await _origin.ComputeAsync(_originLease);
        var bundle = new RelayedReports(_origin.Id, [report], _origin.Sign([report]));

        var response = await _carrier.SyncAsync(new SyncRequest([await _carrier.ComputeAsync(_carrierLease)], Relayed: [bundle]));

        Assert.Equal(1, response.Accepted);
        var outcome = Assert.Single(response.Relayed!);
        Assert.Equal((_origin.Id, 1), (outcome.WorkerId, outcome.Accepted));
        Assert.Empty(outcome.Refused);
        // Both replicas agree: the unit is valid, the origin's replica valid in its own name.
        var stored = await factory.FindReplicaAsync(_originLease.Ref);
        Assert.Equal((ReplicaState.Valid, _origin.Id), (stored!.State, stored.WorkerId));
        Assert.Equal(SimulatedWorker.Payload(PrimeSieve.CountPrimes(0, 100)), stored.Payload);
        Assert.Equal(ReplicaState.Valid, (await factory.FindReplicaAsync(_carrierLease.Ref))!.State);
    }

    [Fact]
    public async Task An_altered_relayed_report_is_refused_and_the_carriers_own_report_is_accepted()
    {
        var honest = await _origin.ComputeAsync(_originLease);
        var forged = SimulatedWorker.Payload(99);
        // Well formed in every way but the origin's signature, which covers the honest result.
        var altered = honest with { Digest = ContentDigest.Of(forged), Size = forged.Length, Payload = Convert.ToBase64String(forged) };
        var bundle = new RelayedReports(_origin.Id, [altered], _origin.Sign([honest]));

        var response = await _carrier.SyncAsync(new SyncRequest([await _carrier.ComputeAsync(_carrierLease)], Relayed: [bundle]));

        Assert.Equal(1, response.Accepted);
        AssertRefused(Assert.Single(response.Relayed!), _origin.Id, "BadSignature");
        Assert.Equal(ReplicaState.Assigned, (await factory.FindReplicaAsync(_originLease.Ref))!.State);
        Assert.Equal(ReplicaState.Reported, (await factory.FindReplicaAsync(_carrierLease.Ref))!.State);
        // The honest bundle still goes up.
        var relayed = await _carrier.SyncAsync(new SyncRequest(Relayed: [bundle with { Reports = [honest] }]));
        Assert.Equal(1, Assert.Single(relayed.Relayed!).Accepted);
    }

    [Fact]
    public async Task Reports_signed_by_the_carrier_in_the_origins_name_are_refused()
    {
        var report = _carrier.Claim(_originLease.Ref, PrimeSieve.CountPrimes(0, 100));
        var bundle = new RelayedReports(_origin.Id, [report], _carrier.Sign([report]));

        var response = await _carrier.SyncAsync(new SyncRequest(RequestUnits: 0, Relayed: [bundle]));

        Assert.Equal(0, response.Accepted);
        AssertRefused(Assert.Single(response.Relayed!), _origin.Id, "BadSignature");
        Assert.Equal(ReplicaState.Assigned, (await factory.FindReplicaAsync(_originLease.Ref))!.State);
    }

    [Fact]
    public async Task A_replayed_relayed_report_is_refused()
    {
        var report = await _origin.ComputeAsync(_originLease);
        var bundle = new RelayedReports(_origin.Id, [report], _origin.Sign([report]));
        Assert.Equal(1, Assert.Single((await _carrier.SyncAsync(new SyncRequest(Relayed: [bundle]))).Relayed!).Accepted);
        var stored = await factory.FindReplicaAsync(_originLease.Ref);

        // Carried again, by the same worker or by its origin's other peer.
        var again = await _carrier.SyncAsync(new SyncRequest(Relayed: [bundle]));
        var bob = await factory.SharedWorkerAsync("another carrier");
        var elsewhere = await bob.SyncAsync(new SyncRequest(Relayed: [bundle]));

        AssertRefused(Assert.Single(again.Relayed!), _origin.Id, "AlreadyReported");
        AssertRefused(Assert.Single(elsewhere.Relayed!), _origin.Id, "AlreadyReported");
        var after = await factory.FindReplicaAsync(_originLease.Ref);
        Assert.Equal(stored! with { Payload = null }, after! with { Payload = null });
        Assert.Equal(stored.Payload, after.Payload);
    }

    [Fact]
    public async Task Reports_of_a_worker_the_coordinator_does_not_know_are_refused()
    {
        var stranger = Guid.NewGuid();
        var report = await _origin.ComputeAsync(_originLease);
        var bundle = new RelayedReports(stranger, [report], _origin.Sign([report]));

        var response = await _carrier.SyncAsync(new SyncRequest([await _carrier.ComputeAsync(_carrierLease)], Relayed: [bundle]));

        Assert.Equal(1, response.Accepted);
        AssertRefused(Assert.Single(response.Relayed!), stranger, "UnknownWorker");
        Assert.Equal(ReplicaState.Assigned, (await factory.FindReplicaAsync(_originLease.Ref))!.State);
    }

    [Fact]
    public async Task Each_bundle_has_its_own_outcome_in_the_order_sent()
    {
        var report = await _origin.ComputeAsync(_originLease);
        var good = new RelayedReports(_origin.Id, [report], _origin.Sign([report]));
        var forged = good with { Signature = _carrier.Sign([report]) };

        var response = await _carrier.SyncAsync(new SyncRequest(Relayed: [forged, good, good]));

        Assert.Equal(3, response.Relayed!.Count);
        AssertRefused(response.Relayed[0], _origin.Id, "BadSignature");
        // The same bundle twice in one sync: its origin's grain takes one, and the other is a replay.
        var accepted = response.Relayed.Skip(1).Select(o => o.Accepted).ToList();
        Assert.Equal([0, 1], accepted.Order());
        AssertRefused(response.Relayed.Skip(1).Single(o => o.Accepted == 0), _origin.Id, "AlreadyReported");
    }

    [Fact]
    public async Task A_sync_that_relays_nothing_and_says_nothing_as_a_peer_gets_no_peer_answer()
    {
        var response = await _carrier.SyncAsync(new SyncRequest([await _carrier.ComputeAsync(_carrierLease)]));

        Assert.Equal(1, response.Accepted);
        Assert.Null(response.Relayed);
        Assert.Null(response.Peer);
    }

    private void AssertRefused(RelayOutcome outcome, Guid origin, string code)
    {
        Assert.Equal((origin, 0), (outcome.WorkerId, outcome.Accepted));
        Assert.Equal([(_originLease.Ref, code)], outcome.Refused.Select(r => (r.Replica, r.Code)));
    }
}

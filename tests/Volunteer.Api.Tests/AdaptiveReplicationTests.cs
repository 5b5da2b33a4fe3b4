using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Adaptive replication and credit against the real coordinator over the worker API: honest hosts earn trust and then
/// compute units alone but for the spot checks; a trusted host that turns to lying is caught and nothing it sent reaches
/// the job's result; a job can forbid it; and every account's credit is what its valid replicas earned, line by line.
/// </summary>
public sealed class AdaptiveReplicationTests(AdaptiveReplicationCoordinatorFactory factory)
    : VolunteerScenario<AdaptiveReplicationCoordinatorFactory>(factory), IClassFixture<AdaptiveReplicationCoordinatorFactory>
{
    /// <summary>The primes app grants a credit per million numbers sieved: a unit of 100 numbers earns this.</summary>
    private const double CreditPerUnit = 100 / 1_000_000.0;

    /// <summary>The coordinator's default: hosts are trusted after this many consecutive valid results.</summary>
    private const int TrustThreshold = 10;

    [Fact]
    public async Task Honest_hosts_earn_trust_and_then_compute_units_alone_but_for_the_spot_checks()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 60_000, 100));
        var honest = await HonestAsync(4);

        var done = await RunAsync(job.Id, honest);

        AssertCompletedWithTheTrueCount(done, 0, 60_000);
        Assert.True(done.Adaptive);
        var units = await UnitsOfAsync(done);
        var alone = units.Where(u => u.Unit.Quorum == 1).ToList();
        var replicated = units.Where(u => u.Unit.Quorum == 2).ToList();
        Assert.Equal(units.Count, alone.Count + replicated.Count);
        // Alone: one replica issued, valid. A unit whose replica ran late may have had a speculative sibling added that
        // no host took before the first one reported (seen under CI load): it is cancelled, never issued. Replicated
        // (before trust, a spot check, or a check at the end): agreeing valid replicas of at least two accounts.
        Assert.All(alone, u =>
        {
            Assert.Equal([ReplicaState.Valid], u.Replicas.Where(r => r.WorkerId is not null).Select(r => r.State));
            Assert.All(u.Replicas.Where(r => r.WorkerId is null), r => Assert.Equal(ReplicaState.Cancelled, r.State));
        });
        Assert.All(replicated, u => Assert.True(
            u.Replicas.Where(r => r.State == ReplicaState.Valid).Select(r => r.AccountId).Distinct().Count() >= 2,
            $"Unit {u.Unit.UnitIndex} validated without two accounts agreeing."));
        Assert.NotEmpty(alone);
        Assert.NotEmpty(replicated);
        // Each host's first results, until its grain counted enough valid ones in a row, were replicated.
        foreach (var host in honest)
        {
            var firstIssued = units.SelectMany(u => u.Replicas.Where(r => r.WorkerId == host.Host.Id).Select(r => (r.IssuedAt, u.Unit.Quorum)))
                .OrderBy(r => r.IssuedAt).Take(TrustThreshold);
            Assert.All(firstIssued, r => Assert.Equal(2, r.Quorum));
        }
        // Fewer results than two a unit: that is the point.
        Assert.True(units.Sum(u => u.Replicas.Count(r => r.State == ReplicaState.Valid)) < 2 * units.Count);
        await AssertCreditIsWhatValidReplicasEarnedAsync(honest, units);
    }

    [Fact]
    public async Task A_trusted_host_that_turns_to_lying_is_caught_its_results_alone_are_replicated_again_and_the_result_stays_right()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 60_000, 100));
        var honest = await HonestAsync(3);
        // Honest long enough to be trusted, then one prime too many on every unit. Its grain hears of its valid results at
        // each lease sweep: under load it was not yet trusted at its 40th lease once (CI), so every lie was replicated and
        // caught at once, with nothing accepted alone to take back. Twice that leaves the sweeps time.
        var turncoat = new Participant(await AttachAloneAsync("turncoat"), (lease, n) => n < 8 * TrustThreshold ? Honest(lease, n) : OffByOne(lease, n));

        var done = await RunAsync(job.Id, [turncoat, .. honest]);

        AssertCompletedWithTheTrueCount(done, 0, 60_000);
        await AssertJudgedOnTheTruthAsync([turncoat, .. honest]);
        var lies = turncoat.Accepted.Count(a => a.Report.Digest != TrueDigest(a.Lease));
        Assert.True(lies > 0, "The turncoat never got to lie.");
        var record = Assert.Single(await Factory.Store.ListHostReliabilityAsync(turncoat.Host.Id));
        Assert.Equal(lies, record.Tally.Invalid);
        // It had results accepted alone when it was caught: their credit was taken back, and granted again to those
        // that validated with a second replica.
        var lines = await Factory.Store.ListCreditEntriesAsync(CreditHolder.Host, turncoat.Host.Id, 100_000);
        Assert.Contains(lines, l => l.Amount < 0);
        var units = await UnitsOfAsync(done);
        await AssertCreditIsWhatValidReplicasEarnedAsync([turncoat, .. honest], units);
    }

    [Fact]
    public async Task A_job_that_forbids_adaptive_replication_keeps_every_unit_at_its_quorum()
    {
        var honest = await TrustedHonestAsync(3);
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 10_000, 100, extra: ", \"adaptive\": false"));

        var done = await RunAsync(job.Id, honest);

        AssertCompletedWithTheTrueCount(done, 0, 10_000);
        Assert.False(done.Adaptive);
        Assert.All(await UnitsOfAsync(done), u =>
        {
            Assert.Equal(2, u.Unit.Quorum);
            Assert.Equal(2, u.Replicas.Count(r => r.State == ReplicaState.Valid));
        });
    }

    [Fact]
    public async Task A_trusted_host_unlisted_for_serving_bad_chunks_computes_nothing_alone_any_more()
    {
        var honest = await TrustedHonestAsync(3);
        var poisoner = honest[0].Host;
        // Reported by hosts of two accounts for chunks that failed their digest (what the sync's transfer reports do once
        // the index has checked it handed that holder to them): unlisted for good, and trusted with no app.
        var grains = Factory.Services.GetRequiredService<IGrainFactory>();
        foreach (var accuser in honest.Skip(1))
        {
            await grains.GetGrain<IHostGrain>(poisoner.Id).AccuseAsync(accuser.Host.Id, accuser.Host.AccountId);
        }
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 10_000, 100));

        var done = await RunAsync(job.Id, honest);

        AssertCompletedWithTheTrueCount(done, 0, 10_000);
        var units = await UnitsOfAsync(done);
        var ofPoisoner = units.Where(u => u.Replicas.Any(r => r.WorkerId == poisoner.Id && r.State == ReplicaState.Valid)).ToList();
        Assert.NotEmpty(ofPoisoner);
        Assert.All(ofPoisoner, u => Assert.Equal(2, u.Unit.Quorum));
        // The others keep their trust: some of their units went out alone.
        Assert.Contains(units, u => u.Unit.Quorum == 1);
    }

    [Fact]
    public async Task A_job_of_quorum_three_keeps_its_quorum_with_trusted_hosts()
    {
        var honest = await TrustedHonestAsync(3);
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2_000, 100, extra: ", \"redundancy\": {\"targetResults\": 3, \"minQuorum\": 3}"));

        var done = await RunAsync(job.Id, honest);

        AssertCompletedWithTheTrueCount(done, 0, 2_000);
        Assert.False(done.Adaptive);
        Assert.All(await UnitsOfAsync(done), u => Assert.Equal(3, u.Replicas.Count(r => r.State == ReplicaState.Valid)));
    }

    /// <summary>
    /// The ledger of each host holds exactly one line of the unit's credit for each of its valid replicas, less what was
    /// taken back and granted again; the totals of its account and host add up its lines, and so does the recent average.
    /// </summary>
    private async Task AssertCreditIsWhatValidReplicasEarnedAsync(
        IEnumerable<Participant> participants, IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)> units)
    {
        foreach (var participant in participants)
        {
            var host = participant.Host;
            var valid = units.Sum(u => u.Replicas.Count(r => r.WorkerId == host.Id && r.State == ReplicaState.Valid));
            var lines = await Factory.Store.ListCreditEntriesAsync(CreditHolder.Host, host.Id, 100_000);
            Assert.All(lines, l => Assert.Equal((host.AccountId, CreditPerUnit), (l.AccountId, Math.Abs(l.Amount))));
            // Never twice for one replica: its lines alternate grant, revocation, grant… and end on a grant if it is valid.
            foreach (var replica in lines.GroupBy(l => (l.JobId, l.UnitIndex, l.Replica)))
            {
                var signs = replica.OrderBy(l => l.At).ThenBy(l => l.Amount < 0).Select(l => Math.Sign(l.Amount)).ToList();
                Assert.Equal(signs.Select((_, i) => i % 2 == 0 ? 1 : -1), signs);
            }
            Assert.Equal(valid, lines.Sum(l => Math.Sign(l.Amount)));
            foreach (var (holder, id) in new[] { (CreditHolder.Host, host.Id), (CreditHolder.Account, host.AccountId) })
            {
                var total = (await Factory.Store.FindCreditTotalAsync(holder, id))!;
                Assert.Equal(valid, total.ValidResults);
                Assert.Equal(valid * CreditPerUnit, total.Total, 9);
                // Weights grow by half a week's doubling: compare to the last digits a double holds, not to decimal places.
                var decayed = lines.Sum(l => l.Amount * CreditDecay.Weight(l.EarnedAt));
                Assert.Equal(decayed, total.DecayedCredit, tolerance: Math.Abs(decayed) * 1e-12);
            }
        }
    }

    /// <summary>Honest hosts that are trusted already, from a first job of 100 units they computed together.</summary>
    private async Task<List<Participant>> TrustedHonestAsync(int count)
    {
        var honest = await HonestAsync(count);
        await RunAsync((await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 10_000, 100))).Id, honest);
        return honest;
    }

    /// <summary>Every unit of the job with all its replicas, as stored.</summary>
    private async Task<IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)>> UnitsOfAsync(JobView job)
    {
        var units = new List<(UnitRecord, IReadOnlyList<ReplicaRecord>)>();
        foreach (var unit in await Factory.Store.ListUnitsAsync(job.Id, UnitState.Assimilated, -1, (int)job.UnitCount))
        {
            var replicas = new List<ReplicaRecord>();
            for (var replica = 0; replica < unit.ReplicaCount; replica++)
            {
                replicas.Add((await Factory.FindReplicaAsync(new ReplicaRef(job.Id, unit.UnitIndex, replica)))!);
            }
            units.Add((unit, replicas));
        }
        Assert.Equal(job.UnitCount, units.Count);
        return units;
    }
}

/// <summary>
/// A coordinator for the adaptive replication tests: lease sweeps (when jobs tell hosts how they were judged, and so
/// when hosts earn trust) every 200 ms, unthrottled syncs, and a spot check on a quarter of a trusted host's units, so
/// that a few hundred units show both kinds.
/// </summary>
public sealed class AdaptiveReplicationCoordinatorFactory : CoordinatorFactory
{
    public const double SpotCheckShare = 0.25;

    public AdaptiveReplicationCoordinatorFactory()
        : base(new Dictionary<string, string>
        {
            ["Volunteer:LeaseSweepInterval"] = "00:00:00.200",
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
            ["Volunteer:SpotCheckShare"] = SpotCheckShare.ToString(CultureInfo.InvariantCulture),
        })
    {
    }
}

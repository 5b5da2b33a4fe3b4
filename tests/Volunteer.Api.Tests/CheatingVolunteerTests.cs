using System.Net;
using System.Text.Json;
using Volunteer.Apps.Primes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// Cheating volunteers against the real coordinator over the worker API (issue 9): sybil pairs, liars, colluders,
/// abandoners, hoarders, senders of garbage or of errors, replayers and forgers, each among honest hosts with
/// accounts and networks of their own. Hosts get the oldest waiting unit first (a placement pool of one), so a run
/// is the same run every time and its outcomes are exact.
/// </summary>
public sealed class CheatingVolunteerTests(CheatingVolunteersCoordinatorFactory factory)
    : VolunteerScenario<CheatingVolunteersCoordinatorFactory>(factory), IClassFixture<CheatingVolunteersCoordinatorFactory>
{
    [Theory]
    [InlineData("10.1.1.5", "10.1.1.77", false)]
    [InlineData("2001:db8:7:1::5", "2001:db8:7:2::9", false)]
    [InlineData("10.2.2.5", "::ffff:10.2.2.9", false)]
    [InlineData("10.4.0.1", "10.5.0.1", true)]
    public async Task A_sybil_pair_on_one_network_or_one_account_never_holds_sibling_replicas_so_its_wrong_counts_never_count(
        string firstAddress, string secondAddress, bool oneAccount)
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2000, 100));
        var firstAccount = await SignUpAsync("sybil a", firstAddress);
        var secondAccount = oneAccount ? firstAccount : await SignUpAsync("sybil b", secondAddress);
        var first = await AttachAsync("sybil-a", firstAddress, firstAccount.Key);
        var second = await AttachAsync("sybil-b", secondAddress, secondAccount.Key);
        Assert.Equal(oneAccount, first.AccountId == second.AccountId);
        Participant[] sybils = [new(first, OffByOne), new(second, OffByOne)];
        var honest = await HonestAsync(3);

        // They ask back to back, as a pair does to be handed both replicas of a unit: the second gets other units.
        Assert.Equal([Ref(job, 0, 0), Ref(job, 1, 0)], (await sybils[0].TakeTurnAsync(UnitsPerSync)).Select(a => a.Ref));
        Assert.Equal([Ref(job, 2, 0), Ref(job, 3, 0)], (await sybils[1].TakeTurnAsync(UnitsPerSync)).Select(a => a.Ref));
        var done = await RunAsync(job.Id, [.. sybils, .. honest]);

        AssertCompletedWithTheTrueCount(done, 0, 2000);
        var unitsOfFirst = sybils[0].Leased.Select(a => a.UnitIndex).ToHashSet();
        Assert.DoesNotContain(sybils[1].Leased, a => unitsOfFirst.Contains(a.UnitIndex));
        Assert.All(sybils, s => Assert.True(s.Accepted.Count >= UnitsPerSync, $"{s.Host.Name} reported {s.Accepted.Count} results."));
        await AssertJudgedOnTheTruthAsync([.. sybils, .. honest]);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(20)]
    [InlineData(40)]
    public async Task A_host_that_lies_at_a_rate_is_outvoted_every_time_and_its_quota_halves(int percent)
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 4000, 100));
        var cheater = new Participant(await AttachAloneAsync("cheater"), WrongAtRate(percent));
        var honest = await HonestAsync(3);
        var fullQuota = (await cheater.Host.StatusAsync(Jobs)).DailyQuota;
        Assert.Equal(2000, fullQuota);

        // Its first result is a lie at every rate; two honest hosts outvote it before it reports anything else.
        Assert.Equal([Ref(job, 0, 0)], (await cheater.TakeTurnAsync(1)).Select(a => a.Ref));
        await cheater.TakeTurnAsync(0);
        Assert.Equal([Ref(job, 0, 1)], (await honest[0].TakeTurnAsync(1)).Select(a => a.Ref));
        await honest[0].TakeTurnAsync(0);
        Assert.Equal([Ref(job, 0, 2)], (await honest[1].TakeTurnAsync(1)).Select(a => a.Ref));
        await honest[1].TakeTurnAsync(0);
        Assert.Equal(ReplicaState.Invalid, (await Factory.FindReplicaAsync(Ref(job, 0, 0)))!.State);
        // The job tells the host at its next sweep: halved once.
        await AssertQuotaBecomesAsync(cheater.Host, fullQuota / 2);

        var done = await RunAsync(job.Id, [cheater, .. honest]);

        AssertCompletedWithTheTrueCount(done, 0, 4000);
        await AssertJudgedOnTheTruthAsync([cheater, .. honest]);
        // A unit validates only with the cheater's replica reported, so every lease it took was reported: its lies too.
        Assert.Equal(cheater.Leased.Count, cheater.Accepted.Count);
        var lies = cheater.Accepted.Count(a => a.Report.Digest != TrueDigest(a.Lease));
        Assert.Equal(Enumerable.Range(0, cheater.Leased.Count).Count(n => n * percent % 100 < percent), lies);
    }

    [Fact]
    public async Task A_host_that_always_lies_is_starved_by_its_quota_while_honest_hosts_keep_working()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 4000, 100));
        var liar = new Participant(await AttachAloneAsync("liar", cores: 1), OffByOne);
        var honest = await HonestAsync(3);
        Assert.Equal(CheatingVolunteersCoordinatorFactory.DailyQuotaPerCore, (await liar.Host.StatusAsync(Jobs)).DailyQuota);

        AssertCompletedWithTheTrueCount(await RunAsync(job.Id, [liar, .. honest]), 0, 4000);
        await AssertJudgedOnTheTruthAsync([liar, .. honest]);

        // Every result it sent was a lie, and each halved its quota once it was judged; none doubled it back.
        var lies = liar.Accepted.Count;
        Assert.Equal(liar.Leased.Count, lies);
        var quota = CheatingVolunteersCoordinatorFactory.DailyQuotaPerCore;
        for (var i = 0; i < lies; i++)
        {
            quota = Math.Max(1, quota / 2);
        }
        await AssertQuotaBecomesAsync(liar.Host, quota);
        Assert.True(quota < lies, $"The liar told {lies} lies and still has a quota of {quota}.");
        Assert.Equal(lies, (await liar.Host.StatusAsync(Jobs)).IssuedToday);
        // It has been issued more than its quota today: the next job has nothing for it, and work for the others.
        var next = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 1000, 100));
        Assert.Empty(await liar.Host.LeaseAsync(2));
        Assert.Equal([Ref(next, 0, 0), Ref(next, 1, 0)], (await honest[0].Host.LeaseAsync(2)).Select(a => a.Ref));
    }

    /// <summary>
    /// The limit the issue documents: two accounts on two networks that agree on a wrong count for a unit they both
    /// hold make it canonical. Redundancy cannot tell them from two honest volunteers; it only makes them rare.
    /// </summary>
    [Fact]
    public async Task Two_accounts_on_two_networks_agreeing_on_a_wrong_count_make_it_canonical_the_documented_limit()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100));
        var x = await AttachAloneAsync("colluder-x");
        var y = await AttachAloneAsync("colluder-y");
        var bystander = await AttachAloneAsync("bystander");
        var xLease = Assert.Single(await x.LeaseAsync(1));
        var yLease = Assert.Single(await y.LeaseAsync(1));
        Assert.Equal((Ref(job, 0, 0), Ref(job, 0, 1)), (xLease.Ref, yLease.Ref));
        Assert.Empty(await bystander.LeaseAsync(1));

        Assert.Equal(1, (await x.SyncAsync(new SyncRequest([Claim(xLease, 26)]))).Accepted);
        Assert.Equal(1, (await y.SyncAsync(new SyncRequest([Claim(yLease, 26)]))).Accepted);

        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(25, PrimeSieve.CountPrimes(0, 100));
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(26, done.Result!.Value.GetProperty("primeCount").GetInt64());
        Assert.Equal(ReplicaState.Valid, (await Factory.FindReplicaAsync(xLease.Ref))!.State);
        Assert.Equal(ReplicaState.Valid, (await Factory.FindReplicaAsync(yLease.Ref))!.State);
    }

    [Fact]
    public async Task A_host_that_abandons_its_leases_again_and_again_never_gets_a_unit_back_and_cannot_fail_the_job()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 300, 100, ""","deadlineSeconds":1"""));
        var abandoner = await AttachAloneAsync("abandoner");
        var fullQuota = (await abandoner.StatusAsync(Jobs)).DailyQuota;

        var abandoned = new List<ReplicaRef>();
        for (var i = 0; i < 3; i++)
        {
            // It claims to hold nothing, so a lease it still held would only be sent again: it asks once the last one timed out.
            var lease = Assert.Single((await abandoner.SyncAsync(new SyncRequest(InProgress: [], RequestUnits: 1))).Assignments);
            abandoned.Add(lease.Ref);
            await AssertTimesOutAsync(lease.Ref);
        }

        Assert.Equal([Ref(job, 0, 0), Ref(job, 1, 0), Ref(job, 2, 0)], abandoned);
        // Each unit it held has replicas waiting for others; none of them comes back to it.
        Assert.Empty((await abandoner.SyncAsync(new SyncRequest(InProgress: [], RequestUnits: 64))).Assignments);
        await AssertQuotaBecomesAsync(abandoner, fullQuota / 8);

        var done = await RunAsync(job.Id, await HonestAsync(2));

        AssertCompletedWithTheTrueCount(done, 0, 300);
        foreach (var replica in abandoned)
        {
            Assert.Equal(ReplicaState.TimedOut, (await Factory.FindReplicaAsync(replica))!.State);
        }
    }

    [Fact]
    public async Task A_hoarder_gets_its_cap_whatever_it_claims_to_hold_and_honest_hosts_keep_getting_work()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2000, 100));
        var hoarder = await AttachAloneAsync("hoarder", cores: 2);
        var cap = (await hoarder.StatusAsync(Jobs)).MaxInProgress;
        Assert.Equal(4, cap);

        var hoard = (await hoarder.SyncAsync(new SyncRequest(InProgress: [], RequestUnits: 64))).Assignments;
        Assert.Equal([Ref(job, 0, 0), Ref(job, 1, 0), Ref(job, 2, 0), Ref(job, 3, 0)], hoard.Select(a => a.Ref));
        // Claiming again to hold nothing gets no replica it does not hold (what it holds is to be sent again: see
        // A_host_that_lost_the_answer_carrying_its_leases_is_sent_them_again); not saying gets nothing.
        var again = (await hoarder.SyncAsync(new SyncRequest(InProgress: [], RequestUnits: 64))).Assignments;
        Assert.All(again, a => Assert.Contains(a.Ref, hoard.Select(h => h.Ref)));
        Assert.Empty(await hoarder.LeaseAsync(64));
        var status = await hoarder.StatusAsync(Jobs);
        Assert.Equal((cap, cap), (status.InProgress, status.IssuedToday));

        // While it holds its cap, honest hosts get what they ask for and compute every unit it does not hold.
        var honest = await HonestAsync(2);
        Assert.Equal([Ref(job, 0, 1), Ref(job, 1, 1)], (await honest[0].TakeTurnAsync(UnitsPerSync)).Select(a => a.Ref));
        Assert.Equal([Ref(job, 2, 1), Ref(job, 3, 1)], (await honest[1].TakeTurnAsync(UnitsPerSync)).Select(a => a.Ref));
        var meanwhile = await RunAsync(job.Id, honest, until: j => j.Units.Assimilated == 16);
        Assert.Equal(new UnitCounts(0, 4, 0, 16, 0), meanwhile.Units);
        Assert.Equal(cap, (await hoarder.StatusAsync(Jobs)).InProgress);

        // When it reports at last, its four units complete the job.
        var reports = new List<ReplicaReport>();
        foreach (var lease in hoard)
        {
            reports.Add(await SimulatedHost.ComputeAsync(lease));
        }
        Assert.Equal(cap, (await hoarder.SyncAsync(new SyncRequest(reports))).Accepted);
        AssertCompletedWithTheTrueCount(await Api.GetJobAsync(Jobs, job.Id), 0, 2000);
    }

    /// <summary>
    /// A host whose answer was lost says it holds nothing and is sent its leases again, as the worker API promises;
    /// at its in-progress cap as below it, for a worker agent asks for as many units as it may hold.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task A_host_that_lost_the_answer_carrying_its_leases_is_sent_them_again(int leased)
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2000, 100));
        var host = await AttachAloneAsync("unlucky", cores: 2);
        Assert.Equal(4, (await host.StatusAsync(Jobs)).MaxInProgress);
        var lost = await host.LeaseAsync(leased);
        Assert.Equal(leased, lost.Count);

        var resent = (await host.SyncAsync(new SyncRequest(InProgress: [], RequestUnits: leased))).Assignments;

        Assert.Equal(lost.Select(a => (a.Ref, a.Deadline)), resent.Select(a => (a.Ref, a.Deadline)).OrderBy(r => r.Ref.UnitIndex));
        Assert.Equal(leased, (await host.StatusAsync(Jobs)).IssuedToday);
        Assert.Equal(job.Id, Assert.Single(resent.Select(a => a.JobId).Distinct()));
    }

    /// <summary>
    /// A host at its in-progress cap whose replicas ended without it (its units were validated by others, or its
    /// leases timed out after it lost them in a crash) holds nothing any more and gets new work.
    /// </summary>
    [Theory]
    [InlineData("its replicas were cancelled", null)]
    [InlineData("its replicas were cancelled", "[]")]
    [InlineData("its leases timed out", null)]
    [InlineData("its leases timed out", "[]")]
    public async Task A_host_whose_replicas_ended_without_it_gets_new_work(string ending, string? inProgress)
    {
        var cancelled = ending == "its replicas were cancelled";
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2000, 100, cancelled
            ? ""","redundancy":{"targetResults":3,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6}"""
            : ""","deadlineSeconds":1"""));
        var host = await AttachAloneAsync("at-cap", cores: 2);
        var held = await host.LeaseAsync(4);
        Assert.Equal([Ref(job, 0, 0), Ref(job, 1, 0), Ref(job, 2, 0), Ref(job, 3, 0)], held.Select(a => a.Ref));
        if (cancelled)
        {
            // Two honest hosts compute the same four units: quorum without it.
            foreach (var other in await HonestAsync(2))
            {
                await other.TakeTurnAsync(4);
                await other.TakeTurnAsync(0);
            }
        }
        foreach (var lease in held)
        {
            var state = cancelled ? ReplicaState.Cancelled : ReplicaState.TimedOut;
            var ended = await Api.EventuallyAsync(async () => (await Factory.FindReplicaAsync(lease.Ref))!.State == state, Patience);
            Assert.True(ended, $"Replica {lease.Ref} is not {state}.");
        }

        var more = (await host.SyncAsync(new SyncRequest(InProgress: inProgress is null ? null : [], RequestUnits: 4))).Assignments;

        Assert.Equal([Ref(job, 4, 0), Ref(job, 5, 0), Ref(job, 6, 0), Ref(job, 7, 0)], more.Select(a => a.Ref));
    }

    [Fact]
    public async Task The_hosts_of_one_account_together_hold_no_more_replicas_of_a_job_than_the_account_cap()
    {
        const int AccountCap = CheatingVolunteersCoordinatorFactory.MaxInProgressPerAccount;
        await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 2000, 100));
        var account = await SignUpAsync("farm", "10.8.0.1");
        var farm = new List<AccountHost>();
        for (var i = 0; i < 3; i++)
        {
            farm.Add(await AttachAsync($"farm-{i}", $"10.8.{i}.1", account.Key));
        }
        var leased = new List<IReadOnlyList<Assignment>>();
        foreach (var host in farm)
        {
            // Each host alone could hold 8.
            Assert.Equal(8, (await host.StatusAsync(Jobs)).MaxInProgress);
            leased.Add(await host.LeaseAsync(64));
        }

        Assert.Equal([AccountCap, 0, 0], leased.Select(l => l.Count));
        // Another volunteer is not held back by the farm.
        var neighbour = await AttachAloneAsync("neighbour");
        Assert.Equal(AccountCap, (await neighbour.LeaseAsync(64)).Count);
        // Two results in, the account may hold two more, on any of its hosts.
        var reports = new List<ReplicaReport>();
        foreach (var lease in leased[0].Take(2))
        {
            reports.Add(await SimulatedHost.ComputeAsync(lease));
        }
        Assert.Equal(2, (await farm[0].SyncAsync(new SyncRequest(reports))).Accepted);
        Assert.Equal(2, (await farm[1].LeaseAsync(64)).Count);
        Assert.Empty(await farm[2].LeaseAsync(64));
    }

    [Theory]
    [InlineData("not JSON")]
    [InlineData("more primes than numbers")]
    [InlineData("a negative count")]
    [InlineData("a field the app does not know")]
    public async Task Two_accounts_agreeing_on_a_result_the_app_refuses_are_both_invalid_and_the_unit_goes_to_others(string kind)
    {
        var payload = kind switch
        {
            "not JSON" => "primes: lots"u8.ToArray(),
            "more primes than numbers" => SimulatedWorker.Payload(101),
            "a negative count" => SimulatedWorker.Payload(-1),
            "a field the app does not know" => """{"primeCount":25,"verified":true}"""u8.ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 1000, 100));
        Participant[] senders =
        [
            new(await AttachAloneAsync("sender-x"), (lease, _) => Task.FromResult(SimulatedWorker.Success(lease.Ref, payload))),
            new(await AttachAloneAsync("sender-y"), (lease, _) => Task.FromResult(SimulatedWorker.Success(lease.Ref, payload))),
        ];
        var honest = await HonestAsync(2);

        var done = await RunAsync(job.Id, [.. senders, .. honest]);

        AssertCompletedWithTheTrueCount(done, 0, 1000);
        // They did hold sibling replicas and agree byte for byte: the app refused both.
        Assert.Contains(senders[0].Accepted, a => senders[1].Accepted.Any(b => b.Lease.UnitIndex == a.Lease.UnitIndex));
        await AssertJudgedOnTheTruthAsync([.. senders, .. honest]);
    }

    [Theory]
    [InlineData("crashes", "crashes")]
    [InlineData("crashes", "lies")]
    [InlineData("crashes", "sends garbage")]
    [InlineData("sends garbage", "lies")]
    public async Task Two_accounts_that_answer_every_unit_badly_cannot_fail_the_job(string first, string second)
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 1000, 100));
        Assert.Equal(new Redundancy(TargetResults: 2, MinQuorum: 2, MaxErrorResults: 3, MaxTotalResults: 6), job.Redundancy);
        Participant[] bad = [new(await AttachAloneAsync("bad-1"), Named(first)), new(await AttachAloneAsync("bad-2"), Named(second))];
        var honest = await HonestAsync(2);

        var done = await RunAsync(job.Id, [.. bad, .. honest]);

        AssertCompletedWithTheTrueCount(done, 0, 1000);
        Assert.Contains(bad[0].Accepted, a => bad[1].Accepted.Any(b => b.Lease.UnitIndex == a.Lease.UnitIndex));
        await AssertJudgedOnTheTruthAsync([.. bad, .. honest]);
    }

    [Fact]
    public async Task A_captured_sync_sent_again_is_refused_by_its_host_and_by_a_thief_and_changes_nothing()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 300, 100));
        var honest = await AttachAloneAsync("honest");
        var thief = await AttachAloneAsync("thief");
        var lease = Assert.Single(await honest.LeaseAsync(1));
        var captured = JsonSerializer.Serialize(
            honest.Signed(new SyncRequest([await SimulatedHost.ComputeAsync(lease)], RequestUnits: 1)), ProtocolJson.Options);
        using (var original = await honest.PostSyncAsync(Api.Json(captured)))
        {
            await Api.AssertStatusAsync(original, HttpStatusCode.OK);
        }
        var before = await SnapshotAsync(job, honest, thief);

        using var replayed = await honest.PostSyncAsync(Api.Json(captured));
        using var stolen = await thief.PostSyncAsync(Api.Json(captured));

        Assert.Equal([(lease.Ref, "AlreadyReported")], Api.Refusals(await Api.AssertProblemAsync(replayed, HttpStatusCode.Conflict, "already been reported")));
        // The signature names the host it came from: under another host's token it does not verify.
        Assert.Equal([(lease.Ref, "BadSignature")], Api.Refusals(await Api.AssertProblemAsync(stolen, HttpStatusCode.Forbidden, "signature")));
        Assert.Equal(before, await SnapshotAsync(job, honest, thief));
    }

    [Theory]
    [InlineData("the thief's own report of the victim's replica", HttpStatusCode.Forbidden, "NotLeasedToWorker")]
    [InlineData("the victim's token with the thief's signature", HttpStatusCode.Forbidden, "BadSignature")]
    [InlineData("the victim's signed report with its count changed", HttpStatusCode.Forbidden, "BadSignature")]
    public async Task A_forged_report_is_refused_and_changes_nothing(string forgery, HttpStatusCode status, string code)
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 300, 100));
        var victim = await AttachAloneAsync("victim");
        var thief = await AttachAloneAsync("thief");
        var lease = Assert.Single(await victim.LeaseAsync(1));
        var honest = await SimulatedHost.ComputeAsync(lease);
        var forged = Claim(lease, TrueCount(lease) + 1);
        var before = await SnapshotAsync(job, victim, thief);

        using var response = forgery switch
        {
            "the thief's own report of the victim's replica" => await thief.PostSyncAsync(new SyncRequest([forged], RequestUnits: 1)),
            "the victim's token with the thief's signature" => await thief.PostSyncAsync(
                new SyncRequest([forged], RequestUnits: 1, Signature: ReportSignature.Sign(thief.Key, victim.Id, [forged])), victim.Token),
            "the victim's signed report with its count changed" => await thief.PostSyncAsync(
                new SyncRequest([forged], RequestUnits: 1, Signature: victim.Sign([honest])), victim.Token),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };

        Assert.Equal([(lease.Ref, code)], Api.Refusals(await Api.AssertProblemAsync(response, status)));
        Assert.Equal(before, await SnapshotAsync(job, victim, thief));
        // The victim's own report still counts.
        Assert.Equal(1, (await victim.SyncAsync(new SyncRequest([honest]))).Accepted);
    }
}

/// <summary>
/// Placement as configured by default: a host asking for n units is handed n at random among the n + 63 oldest it
/// may get, so two hosts asking back to back cannot count on being handed the sibling replicas of the same units.
/// </summary>
public sealed class RandomPlacementTests(RandomPlacementCoordinatorFactory factory)
    : JobScenario<RandomPlacementCoordinatorFactory>(factory), IClassFixture<RandomPlacementCoordinatorFactory>, IDisposable
{
    private readonly List<AccountHost> _hosts = [];

    [Fact]
    public async Task A_pair_asking_back_to_back_is_not_handed_the_siblings_of_its_units()
    {
        await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 20_000, 100));
        var first = await AttachAloneAsync("pair-1", "10.31.0.1");
        var second = await AttachAloneAsync("pair-2", "10.32.0.1");

        var firstUnits = (await first.LeaseAsync(32)).Select(a => a.UnitIndex).ToList();
        var secondUnits = (await second.LeaseAsync(32)).Select(a => a.UnitIndex).ToList();

        // Each drew 32 of the 95 oldest units, all of which had a replica for it.
        Assert.Equal(32, firstUnits.Count);
        Assert.Equal(32, secondUnits.Count);
        Assert.All(firstUnits.Concat(secondUnits), unit => Assert.InRange(unit, 0, 94));
        // Oldest first would hand the first host units 0 to 31 and the second their siblings, 32 of 32. At random,
        // either happens once in C(95, 32), about 10^25, draws.
        Assert.NotEqual(Enumerable.Range(0, 32).Select(u => (long)u), firstUnits.Order());
        Assert.True(firstUnits.Intersect(secondUnits).Count() < 32, "The second host was handed the siblings of all the first host's units.");
    }

    public void Dispose() => _hosts.ForEach(h => h.Dispose());

    private async Task<AccountHost> AttachAloneAsync(string name, string address)
    {
        var account = await VolunteerAccount.SignUpAsync(Factory, name, address);
        var host = await AccountHost.AttachAsync(Factory, name, address, account.Key, cores: 16);
        _hosts.Add(host);
        return host;
    }
}

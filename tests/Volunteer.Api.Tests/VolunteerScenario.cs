using System.Text;
using Volunteer.Apps.Primes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// Volunteers of known conduct (honest, lying, crashing…) working through a job in rounds against the real coordinator
/// over the worker API, each host with an account and a network of its own unless a test says otherwise: the stage of
/// the cheating-volunteer and adaptive-replication tests.
/// </summary>
public abstract class VolunteerScenario<TFactory>(TFactory factory) : JobScenario<TFactory>(factory), IDisposable
    where TFactory : CoordinatorFactory
{
    /// <summary>Units a host asks for at each turn.</summary>
    private protected const int UnitsPerSync = 2;

    /// <summary>A bound on every wait: the runs take well under a second; a sweep, 200 ms.</summary>
    private protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int _nextNetwork;

    private readonly List<AccountHost> _hosts = [];

    /// <summary>How a host answers a replica it was leased: the report it sends at its next turn.</summary>
    /// <param name="leaseNumber">How many replicas the host was leased before this one.</param>
    private protected delegate Task<ReplicaReport> Conduct(Assignment lease, int leaseNumber);

    public void Dispose()
    {
        _hosts.ForEach(h => h.Dispose());
        GC.SuppressFinalize(this);
    }

    private protected static ReplicaRef Ref(JobView job, long unit, int replica) => new(job.Id, unit, replica);

    private protected static long TrueCount(Assignment lease) =>
        PrimeSieve.CountPrimes(lease.Input.GetProperty("from").GetInt64(), lease.Input.GetProperty("to").GetInt64());

    private protected static string TrueDigest(Assignment lease) => ContentDigest.Of(SimulatedWorker.Payload(TrueCount(lease)));

    /// <summary>A success report claiming <paramref name="primeCount"/>, right or wrong.</summary>
    private protected static ReplicaReport Claim(Assignment lease, long primeCount) => SimulatedWorker.Success(lease.Ref, SimulatedWorker.Payload(primeCount));

    private protected static Task<ReplicaReport> Honest(Assignment lease, int leaseNumber) => SimulatedHost.ComputeAsync(lease);

    /// <summary>One prime too many: plausible, wrong, and the same wrong count from every host that lies this way.</summary>
    private protected static Task<ReplicaReport> OffByOne(Assignment lease, int leaseNumber) => Task.FromResult(Claim(lease, TrueCount(lease) + 1));

    /// <summary>Wrong on <paramref name="percent"/>% of its leases, spread evenly and the first included.</summary>
    private protected static Conduct WrongAtRate(int percent) =>
        (lease, n) => n * percent % 100 < percent ? OffByOne(lease, n) : Honest(lease, n);

    private protected static Conduct Named(string conduct) => conduct switch
    {
        "crashes" => (lease, _) => Task.FromResult(
            new ReplicaReport(lease.JobId, lease.UnitIndex, lease.Replica, ReportOutcome.Error, Error: "the sieve ran out of memory")),
        "lies" => OffByOne,
        "sends garbage" => (lease, _) => Task.FromResult(SimulatedWorker.Success(lease.Ref, Encoding.UTF8.GetBytes($"garbage for unit {lease.UnitIndex}"))),
        _ => throw new ArgumentOutOfRangeException(nameof(conduct)),
    };

    private protected static void AssertCompletedWithTheTrueCount(JobView job, long from, long to)
    {
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(new UnitCounts(0, 0, 0, job.UnitCount, 0), job.Units);
        Assert.Equal(PrimeSieve.CountPrimes(from, to), job.Result!.Value.GetProperty("primeCount").GetInt64());
    }

    private protected static string NextNetworkAddress()
    {
        var n = Interlocked.Increment(ref _nextNetwork);
        return $"10.{100 + (n / 250)}.{n % 250}.1";
    }

    private protected async Task<VolunteerAccount> SignUpAsync(string name, string address) => await VolunteerAccount.SignUpAsync(Factory, name, address);

    private protected async Task<AccountHost> AttachAsync(string name, string address, string? accountKey, int cores = 4)
    {
        var host = await AccountHost.AttachAsync(Factory, name, address, accountKey, cores);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A host with an account and a network of its own.</summary>
    private protected async Task<AccountHost> AttachAloneAsync(string name, int cores = 4)
    {
        var address = NextNetworkAddress();
        return await AttachAsync(name, address, (await SignUpAsync(name, address)).Key, cores);
    }

    private protected async Task<List<Participant>> HonestAsync(int count)
    {
        var honest = new List<Participant>();
        for (var i = 1; i <= count; i++)
        {
            honest.Add(new Participant(await AttachAloneAsync($"honest-{i}"), Honest));
        }
        return honest;
    }

    /// <summary>Rounds of turns, every participant in order, until the job ends (or <paramref name="until"/> holds).</summary>
    private protected async Task<JobView> RunAsync(Guid jobId, IReadOnlyList<Participant> participants, Func<JobView, bool>? until = null)
    {
        until ??= job => job.State != JobState.Running;
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            foreach (var participant in participants)
            {
                await participant.TakeTurnAsync(UnitsPerSync);
            }
            var job = await Api.GetJobAsync(Jobs, jobId);
            if (until(job))
            {
                return job;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The run did not end within {Patience.TotalSeconds:0} s: {job.State}, {job.Units}.");
        }
    }

    /// <summary>
    /// Every report the coordinator accepted was judged on the truth, whoever agreed with it: a right count valid, a
    /// wrong or unusable one invalid, an error report left as reported.
    /// </summary>
    private protected async Task AssertJudgedOnTheTruthAsync(IEnumerable<Participant> participants)
    {
        foreach (var participant in participants)
        {
            foreach (var (lease, report) in participant.Accepted)
            {
                var expected = report.Outcome == ReportOutcome.Error ? ReplicaState.Reported
                    : report.Digest == TrueDigest(lease) ? ReplicaState.Valid
                    : ReplicaState.Invalid;
                var stored = (await Factory.FindReplicaAsync(lease.Ref))!;
                Assert.Equal((participant.Host.Name, lease.Ref, expected), (participant.Host.Name, lease.Ref, stored.State));
            }
        }
    }

    private protected async Task AssertQuotaBecomesAsync(AccountHost host, int quota)
    {
        var last = -1;
        var reached = await Api.EventuallyAsync(async () => (last = (await host.StatusAsync(Jobs)).DailyQuota) == quota, Patience);
        Assert.True(reached, $"{host.Name}'s daily quota is {last}, not {quota}.");
    }

    private protected async Task AssertTimesOutAsync(ReplicaRef replica)
    {
        var timedOut = await Api.EventuallyAsync(async () => (await Factory.FindReplicaAsync(replica))!.State == ReplicaState.TimedOut, Patience);
        Assert.True(timedOut, $"Replica {replica} did not time out within {Patience.TotalSeconds:0} s of its 1 s deadline.");
    }

    /// <summary>What a refused sync must leave as it was: the job, its first replicas as stored, the hosts' tallies and their credit.</summary>
    private protected async Task<List<string>> SnapshotAsync(JobView job, params AccountHost[] hosts)
    {
        var now = await Api.GetJobAsync(Jobs, job.Id);
        var lines = new List<string> { $"{now.State} {now.Units} {now.Result}" };
        for (var unit = 0L; unit < job.UnitCount; unit++)
        {
            for (var replica = 0; replica < job.Redundancy.TargetResults; replica++)
            {
                var stored = await Factory.FindReplicaAsync(Ref(job, unit, replica));
                lines.Add($"{unit}/{replica}: {stored?.State} {stored?.WorkerId} {stored?.ReportedAt:O} {stored?.Digest}");
            }
        }
        foreach (var host in hosts)
        {
            var status = await host.StatusAsync(Jobs);
            var credit = await Factory.Store.ListCreditEntriesAsync(CreditHolder.Host, host.Id, 100_000);
            lines.Add($"{host.Name}: issued {status.IssuedToday}, in progress {status.InProgress}, quota {status.DailyQuota}, " +
                $"{credit.Count} credit lines summing to {credit.Sum(l => l.Amount)}");
        }
        return lines;
    }

    /// <summary>
    /// A host in a run: at each turn it reports what it answered to its leases and asks for more. It first tells
    /// the coordinator what it holds and drops what it is told to (a unit validated without it), so that it never
    /// sends a report that would be refused.
    /// </summary>
    private protected sealed class Participant(AccountHost host, Conduct conduct)
    {
        private readonly List<(Assignment Lease, ReplicaReport Report)> _held = [];

        public AccountHost Host => host;

        /// <summary>Every replica it was leased, in order.</summary>
        public List<Assignment> Leased { get; } = [];

        /// <summary>Every report the coordinator accepted from it, with its lease.</summary>
        public List<(Assignment Lease, ReplicaReport Report)> Accepted { get; } = [];

        /// <returns>The replicas it was leased at this turn.</returns>
        public async Task<IReadOnlyList<Assignment>> TakeTurnAsync(int requestUnits)
        {
            if (_held.Count > 0)
            {
                var told = await host.SyncAsync(new SyncRequest(InProgress: [.. _held.Select(h => h.Lease.Ref)]));
                _held.RemoveAll(h => told.Cancelled.Contains(h.Lease.Ref));
            }
            var response = await host.SyncAsync(new SyncRequest([.. _held.Select(h => h.Report)], RequestUnits: requestUnits));
            Assert.Equal(_held.Count, response.Accepted);
            Accepted.AddRange(_held);
            _held.Clear();
            foreach (var lease in response.Assignments)
            {
                _held.Add((lease, await conduct(lease, Leased.Count)));
                Leased.Add(lease);
            }
            return response.Assignments;
        }
    }
}


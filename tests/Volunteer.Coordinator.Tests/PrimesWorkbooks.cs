using System.Text;
using System.Text.Json;
using Volunteer.Apps.Primes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// Jobs of the built-in primes app, the hosts that ask for their units and the results they send, for the tests
/// that drive a <see cref="JobWorkbook"/> directly. Units hold 100 numbers each: unit i counts the primes in
/// [100i, 100i + 100), so no honest count exceeds 100 (unit 0 holds 25 primes).
/// </summary>
internal static class PrimesWorkbooks
{
    /// <summary>The coordinator's default: one unit in a hundred may fail.</summary>
    public const double MaxFailedUnitShare = 0.01;

    /// <summary>What a unit is worth: 100 numbers, at one credit per million.</summary>
    public const double UnitCredit = 0.0001;

    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    // Volunteers with an account each, on networks of their own (the documentation ranges, RFC 5737 and 3849),
    // and Mallory, who shares Alice's network but not her account.
    public static readonly VolunteerHost Alice = Host("aaaaaaaa", "192.0.2.0/24");
    public static readonly VolunteerHost Bob = Host("bbbbbbbb", "198.51.100.0/24");
    public static readonly VolunteerHost Carol = Host("cccccccc", "203.0.113.0/24");
    public static readonly VolunteerHost Dave = Host("dddddddd", "2001:db8:d::/48");
    public static readonly VolunteerHost Frank = Host("ffffffff", "2001:db8:f::/48");
    public static readonly VolunteerHost Mallory = Host("eeeeeeee", "192.0.2.0/24");

    /// <summary>A running primes job of <paramref name="unitCount"/> units, none split out yet.</summary>
    /// <param name="app">The primes app unless a test needs one that judges results differently.</param>
    /// <param name="adaptive">Whether trusted hosts may compute its units alone (<see cref="JobRecord.Adaptive"/>).</param>
    /// <param name="random">The workbook's draws (spot checks, checks at the end, placement picks); tests that meet a draw pass their own.</param>
    public static JobWorkbook NewJob(
        long unitCount,
        int deadlineSeconds = 3600,
        Redundancy? redundancy = null,
        int maxOpenUnits = 100,
        int placementPoolSize = 1,
        int maxInProgressPerAccount = 1_000_000,
        IScienceApp? app = null,
        bool adaptive = false,
        double spotCheckShare = 0.1,
        double tailShare = 0.05,
        double speculationFactor = 3,
        Random? random = null)
    {
        var parameters = $$"""{"from":0,"to":{{unitCount * 100}},"unitSize":100}""";
        var job = new JobRecord(Guid.NewGuid(), "primes", parameters, redundancy ?? new Redundancy(2, 2, 2, 5), deadlineSeconds, 0,
            unitCount, 0, 0, 0, JobState.Running, """{"primeCount":0}""", null, Start, null, adaptive);
        return new JobWorkbook(job, ParametersOf(job), app ?? new PrimesApp(), [],
            Limits(maxOpenUnits, placementPoolSize, maxInProgressPerAccount, spotCheckShare, tailShare, speculationFactor), random);
    }

    /// <summary>
    /// The workbook a job grain would open from the store after <paramref name="changesSinceStart"/> (every change
    /// of the job, taken at once) were committed: only the units still in play, as the store loads them.
    /// </summary>
    public static JobWorkbook Reopen(JobWorkbook workbook, WorkBatch changesSinceStart, int maxOpenUnits = 100)
    {
        var replicas = changesSinceStart.Replicas.ToLookup(r => r.UnitIndex);
        var open = changesSinceStart.Units
            .Where(u => u.State is not (UnitState.Assimilated or UnitState.Failed))
            .Select(u => (u, (IReadOnlyList<ReplicaRecord>)[.. replicas[u.UnitIndex]]));
        return new JobWorkbook(workbook.Job, ParametersOf(workbook.Job), new PrimesApp(), open, Limits(maxOpenUnits));
    }

    /// <summary>Placement pool 1 unless asked: the oldest waiting unit first, so tests can name which unit a host gets.</summary>
    public static WorkbookLimits Limits(
        int maxOpenUnits,
        int placementPoolSize = 1,
        int maxInProgressPerAccount = 1_000_000,
        double spotCheckShare = 0.1,
        double tailShare = 0.05,
        double speculationFactor = 3) =>
        new(maxOpenUnits, MaxFailedUnitShare, placementPoolSize, maxInProgressPerAccount, spotCheckShare, tailShare, speculationFactor);

    /// <summary>A host with an account of its own: worker <paramref name="id"/>-0000-…, account <paramref name="id"/>-1111-….</summary>
    public static VolunteerHost Host(string id, string? network) =>
        new(Guid.Parse($"{id}-0000-0000-0000-000000000000"), Guid.Parse($"{id}-1111-0000-0000-000000000000"), network);

    /// <summary>Another machine attached under <paramref name="host"/>'s account.</summary>
    public static VolunteerHost AnotherHostOf(VolunteerHost host, string id, string? network) =>
        new(Guid.Parse($"{id}-0000-0000-0000-000000000000"), host.AccountId, network);

    /// <summary>The host as its grain describes it once its record with the app has earned it trust.</summary>
    public static VolunteerHost Trusted(VolunteerHost host, double? usualTurnaroundSeconds = null) =>
        host with { Trusted = true, UsualTurnaroundSeconds = usualTurnaroundSeconds };

    /// <summary>The host as its grain describes it once it has reported results of the app, taking <paramref name="seconds"/> on average.</summary>
    public static VolunteerHost Taking(VolunteerHost host, double seconds) => host with { UsualTurnaroundSeconds = seconds };

    /// <summary>The primes in unit <paramref name="unitIndex"/>, [100i, 100i + 100), by trial division: what honest hosts report.</summary>
    public static long PrimesIn(long unitIndex)
    {
        var count = 0L;
        for (var n = Math.Max(2, unitIndex * 100); n < unitIndex * 100 + 100; n++)
        {
            var prime = true;
            for (var d = 2L; d * d <= n && prime; d++)
            {
                prime = n % d != 0;
            }
            count += prime ? 1 : 0;
        }
        return count;
    }

    /// <summary>The job's result once units 0 to <paramref name="unitCount"/> - 1 are folded in.</summary>
    public static string PrimeCountOf(long unitCount)
    {
        var total = 0L;
        for (var unit = 0L; unit < unitCount; unit++)
        {
            total += PrimesIn(unit);
        }
        return $$"""{"primeCount":{{total}}}""";
    }

    /// <summary>An honest report of the lease's unit.</summary>
    public static ReplicaResult HonestResult(ReplicaLease lease) => Result(lease, PrimesIn(lease.UnitIndex));

    public static ReplicaResult Result(ReplicaLease lease, long primeCount) =>
        Result(lease, Encoding.UTF8.GetBytes($$"""{"primeCount":{{primeCount}}}"""));

    /// <summary>A successful report of <paramref name="payload"/>, with the digest and size the API edge checked.</summary>
    public static ReplicaResult Result(ReplicaLease lease, byte[] payload) =>
        new(lease.Ref, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length, payload, null);

    public static ReplicaResult Error(ReplicaLease lease) =>
        new(lease.Ref, ReportOutcome.Error, null, 0, null, "out of memory");

    public static JsonElement ParametersOf(JobRecord job) => JsonDocument.Parse(job.Parameters).RootElement.Clone();
}

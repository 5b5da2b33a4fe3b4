using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// How a host's judgements add up: stretches of its record follow one another with <see cref="HostTally.Then"/>, in
/// any grouping, so the store can add a job's stretch to the stored record without reading it first.
/// </summary>
public sealed class HostTallyTests
{
    // Turnarounds are sums of halves and quarters, so that their sums are exact in any order.
    private static readonly HostTally FourValid = new(4, 0, 0, 0, ConsecutiveValid: 4, TurnaroundSeconds: 10.5, Turnarounds: 4);
    private static readonly HostTally ValidThenInvalidThenValid = new(3, 1, 1, 0, ConsecutiveValid: 2, TurnaroundSeconds: 20.25, Turnarounds: 5);
    private static readonly HostTally TimedOutOnce = new(0, 0, 0, 1);
    private static readonly HostTally InvalidLast = new(2, 1, 0, 2, ConsecutiveValid: 0, TurnaroundSeconds: 7.75, Turnarounds: 3);

    private readonly FakeTimeProvider _time = new(Start);

    public static TheoryData<string, string, string> Stretches => new()
    {
        { nameof(FourValid), nameof(ValidThenInvalidThenValid), nameof(TimedOutOnce) },
        { nameof(ValidThenInvalidThenValid), nameof(FourValid), nameof(InvalidLast) },
        { nameof(InvalidLast), nameof(TimedOutOnce), nameof(FourValid) },
        { nameof(FourValid), nameof(TimedOutOnce), nameof(ValidThenInvalidThenValid) },
    };

    [Theory]
    [MemberData(nameof(Stretches))]
    public void Stretches_add_up_the_same_however_they_are_grouped(string first, string second, string third)
    {
        var (a, b, c) = (Named(first), Named(second), Named(third));

        Assert.Equal(a.Then(b).Then(c), a.Then(b.Then(c)));
    }

    [Fact]
    public void Judgements_one_at_a_time_add_up_to_the_stretch_they_make()
    {
        var oneAtATime = HostTally.OneValid.Then(HostTally.OneInvalid).Then(HostTally.OneError).Then(HostTally.OneValid)
            .Then(HostTally.Reported(TimeSpan.FromSeconds(8))).Then(HostTally.OneValid).Then(HostTally.None);

        Assert.Equal(new HostTally(3, 1, 1, 0, ConsecutiveValid: 2, TurnaroundSeconds: 8, Turnarounds: 1), oneAtATime);
    }

    [Fact]
    public void An_invalid_result_in_a_later_stretch_restarts_the_run_of_valid_results()
    {
        Assert.Equal(2, FourValid.Then(ValidThenInvalidThenValid).ConsecutiveValid);
        Assert.Equal(0, FourValid.Then(InvalidLast).ConsecutiveValid);
        // Errors and time-outs do not break the run: only a wrong result does.
        Assert.Equal(6, ValidThenInvalidThenValid.Then(TimedOutOnce).Then(FourValid).ConsecutiveValid);
    }

    [Fact]
    public void Rates_and_the_average_turnaround_are_over_the_judged_and_the_reported_results()
    {
        var tally = FourValid.Then(ValidThenInvalidThenValid).Then(TimedOutOnce).Then(InvalidLast);

        Assert.Equal((9L, 2L, 1L, 3L), (tally.Valid, tally.Invalid, tally.Errors, tally.TimedOut));
        Assert.Equal((6L, 15L), (tally.Failures, tally.Judged));
        Assert.Equal(1.0 / 15, tally.ErrorRate);
        Assert.Equal(3.0 / 15, tally.TimeoutRate);
        Assert.Equal(TimeSpan.FromSeconds(38.5 / 12), tally.AverageTurnaround);
    }

    [Fact]
    public void A_host_with_nothing_judged_or_reported_has_no_rates_and_no_average_turnaround()
    {
        Assert.Equal((0.0, 0.0, (TimeSpan?)null), (HostTally.None.ErrorRate, HostTally.None.TimeoutRate, HostTally.None.AverageTurnaround));
    }

    [Fact]
    public void A_hosts_stored_record_followed_by_a_later_stretch_keeps_the_later_time()
    {
        var stored = new HostReliabilityRecord(Alice.WorkerId, "primes", FourValid, Start);
        var stretch = new HostReliabilityRecord(Alice.WorkerId, "primes", InvalidLast, Start.AddHours(1));

        Assert.Equal(new HostReliabilityRecord(Alice.WorkerId, "primes", FourValid.Then(InvalidLast), Start.AddHours(1)), stored.Then(stretch));
        Assert.Equal(Start.AddHours(1), stretch.Then(stored).UpdatedAt);
    }

    [Fact]
    public void A_job_writes_each_hosts_stretch_of_judgements_and_turnarounds_with_its_changes()
    {
        // Alice and Bob get three units; Alice, reporting after 10 s, is wrong about unit 2; Bob reports after 20 s,
        // and Carol, leased unit 2's third replica then, settles it 10 s later.
        var workbook = NewJob(unitCount: 3);
        var alice = workbook.Lease(Alice, 3, _time.GetUtcNow()).Leases;
        var bob = workbook.Lease(Bob, 3, _time.GetUtcNow()).Leases;
        _time.Advance(TimeSpan.FromSeconds(10));
        alice.Take(2).ToList().ForEach(l => workbook.Apply(HonestResult(l), _time.GetUtcNow()));
        workbook.Apply(Result(alice[2], PrimesIn(2) + 1), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(10));
        bob.ToList().ForEach(l => workbook.Apply(HonestResult(l), _time.GetUtcNow()));
        var carol = Assert.Single(workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases);
        _time.Advance(TimeSpan.FromSeconds(10));
        workbook.Apply(HonestResult(carol), _time.GetUtcNow());

        var settledAt = Start.AddSeconds(30);
        Assert.Equal(
            [
                new HostReliabilityRecord(Alice.WorkerId, "primes", new HostTally(2, 1, 0, 0, ConsecutiveValid: 0, TurnaroundSeconds: 30, Turnarounds: 3), settledAt),
                new HostReliabilityRecord(Bob.WorkerId, "primes", new HostTally(3, 0, 0, 0, ConsecutiveValid: 3, TurnaroundSeconds: 60, Turnarounds: 3), settledAt),
                new HostReliabilityRecord(Carol.WorkerId, "primes", new HostTally(1, 0, 0, 0, ConsecutiveValid: 1, TurnaroundSeconds: 10, Turnarounds: 1), settledAt),
            ],
            workbook.TakeChanges().Reliability);
    }

    private static HostTally Named(string name) => name switch
    {
        nameof(FourValid) => FourValid,
        nameof(ValidThenInvalidThenValid) => ValidThenInvalidThenValid,
        nameof(TimedOutOnce) => TimedOutOnce,
        _ => InvalidLast,
    };
}

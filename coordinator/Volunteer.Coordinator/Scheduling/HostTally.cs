namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// How a host's replicas of one app were judged: over a stretch of time (what a job tells the host's grain at
/// each sweep, and what it writes to the store with each commit), or over the host's whole life (its reliability,
/// <see cref="HostReliabilityRecord"/>). Stretches add up in order with <see cref="Then"/>, so the store can add
/// a job's stretch to the stored total without reading it first.
/// </summary>
/// <param name="ConsecutiveValid">
/// Valid results since the last invalid one in the stretch (all of them when none was invalid): an invalid result
/// resets a host's run of valid results, which is what adaptive replication trusts.
/// </param>
/// <param name="TurnaroundSeconds">The sum, over reported results, of the time from issue to report.</param>
/// <param name="Turnarounds">How many reported results <paramref name="TurnaroundSeconds"/> sums.</param>
public sealed record HostTally(
    long Valid,
    long Invalid,
    long Errors,
    long TimedOut,
    long ConsecutiveValid = 0,
    double TurnaroundSeconds = 0,
    long Turnarounds = 0)
{
    /// <summary>Nothing judged: the host is told only how many replicas of the job it now holds.</summary>
    public static HostTally None { get; } = new(0, 0, 0, 0);

    public static HostTally OneValid { get; } = new(1, 0, 0, 0, ConsecutiveValid: 1);

    public static HostTally OneInvalid { get; } = new(0, 1, 0, 0);

    public static HostTally OneError { get; } = new(0, 0, 1, 0);

    public static HostTally OneTimedOut { get; } = new(0, 0, 0, 1);

    public static HostTally Reported(TimeSpan turnaround) => new(0, 0, 0, 0, TurnaroundSeconds: turnaround.TotalSeconds, Turnarounds: 1);

    public long Failures => Invalid + Errors + TimedOut;

    /// <summary>Results judged valid or invalid, or reported as errors, or timed out.</summary>
    public long Judged => Valid + Failures;

    public double ErrorRate => Judged == 0 ? 0 : (double)Errors / Judged;

    public double TimeoutRate => Judged == 0 ? 0 : (double)TimedOut / Judged;

    /// <summary>The mean time from issue to report; null before any report.</summary>
    public TimeSpan? AverageTurnaround => Turnarounds == 0 ? null : TimeSpan.FromSeconds(TurnaroundSeconds / Turnarounds);

    /// <summary>This stretch followed by <paramref name="later"/>: counts add up; an invalid result in the later one restarts the run of valid results.</summary>
    public HostTally Then(HostTally later) => new(
        Valid + later.Valid,
        Invalid + later.Invalid,
        Errors + later.Errors,
        TimedOut + later.TimedOut,
        later.Invalid > 0 ? later.ConsecutiveValid : ConsecutiveValid + later.ConsecutiveValid,
        TurnaroundSeconds + later.TurnaroundSeconds,
        Turnarounds + later.Turnarounds);
}

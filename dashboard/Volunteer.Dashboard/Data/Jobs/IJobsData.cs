using Volunteer.Protocol;

namespace Volunteer.Dashboard.Data.Jobs;

/// <summary>
/// What the job pages read and do: the coordinator answers from its store (pages, aggregates) and its job grains (a
/// running job's open units), never with a job's whole list of units.
/// </summary>
public interface IJobsData
{
    /// <summary>A page of jobs, newest first; null when the page's cursor names no job.</summary>
    Task<JobsPage?> ListJobsAsync(JobsPageRequest request, CancellationToken cancellationToken);

    /// <summary>The job as the job API shows it (<c>GET /api/v1/jobs/{id}</c>), or null when there is no such job.</summary>
    Task<JobView?> FindJobAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>The job's units validated over time and its replicas by outcome, or null when there is no such job.</summary>
    Task<JobActivity?> GetActivityAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>A page of the job's failed units, in unit order, after <paramref name="afterIndex"/>, with their replicas.</summary>
    Task<IReadOnlyList<FailedUnitReport>> ListFailedUnitsAsync(Guid jobId, long afterIndex, int limit, CancellationToken cancellationToken);

    /// <summary>Whether the app's result is an image (mandelbrot), which the job page shows as it fills in.</summary>
    bool HasResultImage(string app);

    /// <summary>Cancels the job, as <c>DELETE /api/v1/jobs/{id}</c> does.</summary>
    Task<CancelOutcome> CancelJobAsync(Guid jobId, CancellationToken cancellationToken);
}

/// <summary>
/// Which page of jobs: the first, the one after the job <see cref="After"/> or the one before the job <see cref="Before"/>
/// (keyset paging: a page stays put while new jobs arrive), of those in <see cref="State"/> or of all.
/// </summary>
public sealed record JobsPageRequest(JobState? State, int Limit, Guid? After = null, Guid? Before = null);

/// <summary>A page of jobs, and whether there are pages before and after it.</summary>
public sealed record JobsPage(IReadOnlyList<JobView> Jobs, bool HasPrevious, bool HasNext);

/// <summary>A job's activity as the store has it, read at <see cref="AsOf"/> (a few seconds' old at most).</summary>
public sealed record JobActivity(UnitTimeline Timeline, ReplicaOutcomes Replicas, DateTimeOffset AsOf);

/// <summary>
/// The job's units validated in each bucket of <see cref="BucketWidth"/> since <see cref="Start"/> (when the job was
/// submitted), up to its end or now: a bounded number of buckets (<see cref="MaxBuckets"/>) however long the job runs.
/// </summary>
public sealed record UnitTimeline(DateTimeOffset Start, TimeSpan BucketWidth, IReadOnlyList<long> Validated)
{
    public const int MaxBuckets = 120;

    /// <summary>Round widths a reader takes in at a glance, shortest first; past the last, whole days.</summary>
    private static readonly int[] RoundSeconds =
        [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

    /// <summary>The shortest round width that cuts <paramref name="span"/> into at most <see cref="MaxBuckets"/> buckets.</summary>
    public static TimeSpan BucketWidthFor(TimeSpan span)
    {
        var seconds = Math.Max(span.TotalSeconds, 0);
        foreach (var round in RoundSeconds)
        {
            if (BucketsOf(seconds, round) <= MaxBuckets)
            {
                return TimeSpan.FromSeconds(round);
            }
        }
        var days = 2;
        while (BucketsOf(seconds, days * 86400.0) > MaxBuckets)
        {
            days++;
        }
        return TimeSpan.FromDays(days);
    }

    /// <summary>How many buckets of <paramref name="width"/> from the start reach <paramref name="span"/> (the bucket it falls in included).</summary>
    public static int BucketCount(TimeSpan span, TimeSpan width) => (int)Math.Min(BucketsOf(Math.Max(span.TotalSeconds, 0), width.TotalSeconds), MaxBuckets);

    private static double BucketsOf(double seconds, double width) => Math.Floor(seconds / width) + 1;
}

/// <summary>A job's replicas by what became of them.</summary>
/// <param name="Unsent">Created, not yet leased to a host.</param>
/// <param name="InFlight">Leased to a host that has not reported yet.</param>
/// <param name="AwaitingValidation">Reported successfully; their unit's quorum has not formed yet.</param>
/// <param name="Valid">Agreed with the canonical result.</param>
/// <param name="Invalid">Disagreed with it, or refused by the app.</param>
/// <param name="Errors">Reported an error instead of a result.</param>
/// <param name="TimedOut">Not reported before their deadline.</param>
/// <param name="Cancelled">No longer needed (their unit was settled, or the job ended) while out.</param>
public sealed record ReplicaOutcomes(
    long Unsent, long InFlight, long AwaitingValidation, long Valid, long Invalid, long Errors, long TimedOut, long Cancelled)
{
    public static ReplicaOutcomes None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);

    public long Total => Unsent + InFlight + AwaitingValidation + Valid + Invalid + Errors + TimedOut + Cancelled;
}

/// <summary>What became of one replica, as the job page names it.</summary>
public enum ReplicaOutcome
{
    Unsent,
    InFlight,
    AwaitingValidation,
    Valid,
    Invalid,
    Error,
    TimedOut,
    Cancelled,
}

/// <summary>A unit that failed, its input, and each of its replicas with its outcome and its error or refusal.</summary>
public sealed record FailedUnitReport(long UnitIndex, string Input, IReadOnlyList<FailedUnitReplica> Replicas);

/// <summary>One replica of a failed unit: its number, what became of it, and the error it reported or why it was refused.</summary>
public sealed record FailedUnitReplica(int Replica, ReplicaOutcome Outcome, string? Error);

public enum CancelOutcome
{
    Cancelled,
    AlreadyEnded,
    NotFound,
}

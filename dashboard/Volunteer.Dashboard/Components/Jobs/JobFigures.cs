using System.Globalization;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Components.Jobs;

/// <summary>How the job pages put a job's figures into words: percent done, pace, time left, durations.</summary>
public static class JobFigures
{
    /// <summary>The whole percent done, rounded down, so 100% means every unit is settled.</summary>
    public static int Percent(double progress) => (int)Math.Clamp(Math.Floor(progress * 100), 0, 100);

    /// <summary>The progress as the <c>value</c> of a <c>&lt;progress max="1"&gt;</c>.</summary>
    public static string ProgressValue(double progress) => Math.Clamp(progress, 0, 1).ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>The first 8 characters of a job's id: what the pages call it.</summary>
    public static string ShortId(Guid jobId) => jobId.ToString("N")[..8];

    /// <summary>
    /// Units settled per second at a running job's recent pace: the job grain estimates its completion from the units it
    /// settled over the last minutes, and this is the pace that estimate stands for (units left over time left). Null
    /// before there is an estimate, and for a job that has ended.
    /// </summary>
    public static double? UnitsPerSecond(JobView job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.State != JobState.Running || job.EstimatedCompletion is not { } eta)
        {
            return null;
        }
        var left = job.UnitCount - job.Units.Assimilated - job.Units.Failed - job.Units.Valid;
        var seconds = (eta - now).TotalSeconds;
        return left > 0 && seconds > 0 ? left / seconds : null;
    }

    /// <summary>A pace in words: per second from one a second up, per minute below that, "—" when unknown.</summary>
    public static string RateText(double? unitsPerSecond) => unitsPerSecond switch
    {
        null => "—",
        >= 100 => string.Create(CultureInfo.InvariantCulture, $"{unitsPerSecond:N0}/s"),
        >= 1 => string.Create(CultureInfo.InvariantCulture, $"{unitsPerSecond:N1}/s"),
        _ when unitsPerSecond * 60 >= 0.1 => string.Create(CultureInfo.InvariantCulture, $"{unitsPerSecond * 60:N1}/min"),
        _ => "<0.1/min",
    };

    /// <summary>
    /// When a job is done, in words: "in 4 min" for a running one with an estimate, "estimating…" before there is one;
    /// how long it took once it has ended.
    /// </summary>
    public static string EtaText(JobView job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.State switch
        {
            JobState.Running when job.EstimatedCompletion is { } eta => eta > now ? "in " + DurationText(eta - now) : "any moment",
            JobState.Running => "estimating…",
            JobState.Completed when job.FinishedAt is { } finished => "took " + DurationText(finished - job.CreatedAt),
            _ when job.FinishedAt is { } stopped => "stopped after " + DurationText(stopped - job.CreatedAt),
            _ => "—",
        };
    }

    /// <summary>A duration to the second under ten minutes, to the minute under a day, to the hour beyond.</summary>
    public static string DurationText(TimeSpan duration)
    {
        var seconds = (long)Math.Max(0, Math.Round(duration.TotalSeconds));
        return seconds switch
        {
            < 60 => $"{seconds} s",
            < 600 => seconds % 60 == 0 ? $"{seconds / 60} min" : $"{seconds / 60} min {seconds % 60} s",
            < 3600 => $"{(seconds + 30) / 60} min",
            < 86400 => $"{seconds / 3600} h {seconds % 3600 / 60} min",
            _ => $"{seconds / 86400} d {seconds % 86400 / 3600} h",
        };
    }

    /// <summary>A time as the pages show it: UTC, to the second.</summary>
    public static string TimeText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A time as a <c>&lt;time datetime&gt;</c> attribute holds it.</summary>
    public static string MachineTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separated.</summary>
    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Bytes in the largest unit that keeps a whole number in front.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:N1} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):N1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):N2} GiB"),
    };

    /// <summary>The stylesheet's class for a job state's badge.</summary>
    public static string BadgeClass(JobState state) => "badge " + state.ToString().ToLowerInvariant();
}

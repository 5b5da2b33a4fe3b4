using System.ComponentModel.DataAnnotations;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Settings;

/// <summary>The coordinator's settings, section "Volunteer" (environment: Volunteer__Name).</summary>
public sealed class VolunteerOptions
{
    public const string Section = "Volunteer";

    /// <summary>Where the embedded store keeps its database.</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, ".volunteer", "data");

    /// <summary>A bootstrap API key for the job API, stored hashed at start-up.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How many units of one job may be split out and in play at once (bounds memory).</summary>
    [Range(1, 10_000_000)]
    public int MaxOpenUnitsPerJob { get; set; } = 20_000;

    /// <summary>How often each job looks for leases past their deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The share of a job's units that may fail (exhaust their error or replica budget) with the job still
    /// completing, its failed units listed; one more and the job fails.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxFailedUnitShare { get; set; } = 0.01;

    /// <summary>Result payloads up to this size travel inline in reports; larger ones stay with workers.</summary>
    [Range(0, 1024 * 1024)]
    public int InlinePayloadLimit { get; set; } = SyncLimits.Default.InlinePayloadLimit;

    /// <summary>Most units a worker may ask for in one sync.</summary>
    [Range(1, 1024)]
    public int MaxUnitsPerSync { get; set; } = SyncLimits.Default.MaxUnitsPerSync;

    /// <summary>Most reports in one sync.</summary>
    [Range(1, 10_000)]
    public int MaxReportsPerSync { get; set; } = SyncLimits.Default.MaxReportsPerSync;

    /// <summary>Syncs a single worker may make per second before it is told to slow down.</summary>
    [Range(1, 100_000)]
    public int SyncsPerWorkerPerSecond { get; set; } = 50;

    /// <summary>Workers one network address may attach per minute (a load test on one host raises it).</summary>
    [Range(1, 1_000_000)]
    public int AttachesPerAddressPerMinute { get; set; } = 120;

    /// <summary>The bounds on one sync that workers are told of.</summary>
    public SyncLimits SyncLimits => SyncLimits.Default with
    {
        MaxReportsPerSync = MaxReportsPerSync, MaxUnitsPerSync = MaxUnitsPerSync, InlinePayloadLimit = InlinePayloadLimit,
    };
}

using System.ComponentModel.DataAnnotations;
using Volunteer.Worker.Settings;

namespace Volunteer.Worker.Governor;

/// <summary>
/// What the owner lets the agent take of the machine, section "Worker" like the rest of the settings (command line
/// --cpu-percent, environment Worker__CpuPercent, or `volunteer-worker set cpu-percent 50`). Every one of them takes
/// effect in a running agent without a restart: the agent re-reads them when `set` tells it to.
/// </summary>
public sealed class ComputeLimits
{
    /// <summary>Units computed at once, one core each; the setting keeps its historical name Worker:Slots.</summary>
    [Range(1, 4096)]
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>The share of each core's time a computing unit may take, 1..100 (BOINC's "use at most N% of CPU time").</summary>
    [Range(1, 100)]
    public int CpuPercent { get; set; } = 100;

    /// <summary>The most memory one unit may need, in bytes; a unit whose app says it needs more is not run. 0: no limit.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long MemoryPerUnitBytes { get; set; }

    /// <summary>The most disk the agent's state directory may take (work, checkpoints, blob cache), in bytes. 0: no limit.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long DiskBytes { get; set; }

    /// <summary>
    /// When units may compute, in local time: comma-separated windows such as "22:00-07:00" or "Mon-Fri 18:00-08:00,
    /// Sat-Sun"; empty: always.
    /// </summary>
    [ValidComputeWindows]
    public string ComputeWindows { get; set; } = "";

    /// <summary>Pause while the owner uses the machine (keyboard and mouse idle less than <see cref="IdleMinutes"/>, or,
    /// where input idleness cannot be read, other programs' CPU load above <see cref="InUseCpuPercent"/>).</summary>
    public bool PauseWhenInUse { get; set; }

    /// <summary>How long keyboard and mouse must have been idle before the machine counts as not in use.</summary>
    [Range(0, 1440)]
    public double IdleMinutes { get; set; } = 3;

    /// <summary>Other programs' share of all cores above which the machine counts as in use, 1..100.</summary>
    [Range(1, 100)]
    public int InUseCpuPercent { get; set; } = 25;

    /// <summary>Pause while the machine runs on battery, where that can be detected.</summary>
    public bool PauseOnBattery { get; set; } = true;

    /// <summary>How often a unit is asked to save a checkpoint (apps ask through the SDK whether one is due).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Work to keep leased, in seconds of computing for all slots: enough to stay busy this long offline
    /// (BOINC's "store at least N days of work").</summary>
    [Range(0, 30 * 86400)]
    public double BufferSeconds { get; set; } = 600;

    /// <summary>Work leased beyond <see cref="BufferSeconds"/> when the agent asks (BOINC's "up to N more days"), so
    /// that it asks in batches rather than for every unit that finishes.</summary>
    [Range(0, 30 * 86400)]
    public double BufferExtraSeconds { get; set; } = 300;

    /// <summary>
    /// Binds section "Worker" and validates it as ValidateDataAnnotations would. Throws OptionsValidationException
    /// naming every setting that is wrong, or not of its type.
    /// </summary>
    public static ComputeLimits From(IConfiguration configuration) => AgentSettings.Bind<ComputeLimits>(configuration);

    /// <summary>The parsed <see cref="ComputeWindows"/>; throws FormatException when they are not valid.</summary>
    public ComputeWindows Windows() => Governor.ComputeWindows.Parse(ComputeWindows);
}

/// <summary>Compute windows that parse (a property attribute, so that it is named beside every other wrong setting).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ValidComputeWindowsAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        ComputeWindows.TryParse(value as string, out _, out var error)
            ? ValidationResult.Success
            : new ValidationResult($"The field {validationContext.MemberName} is wrong: {error}", [validationContext.MemberName!]);
}

using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace Volunteer.Worker;

/// <summary>The agent's settings, section "Worker" (environment: Worker__Slots; command line: --slots).</summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string Section = "Worker";

    /// <summary>Where the agent keeps its identity, leased units, checkpoints and unacknowledged reports.</summary>
    [Required]
    public string StateDirectory { get; set; } = DefaultStateDirectory();

    /// <summary>How many units run at once.</summary>
    [Range(1, 4096)]
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>This host's name as the project sees it.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>
    /// The volunteer account attach joins this host to (its key, from sign-up or from the first host's attach);
    /// without one, attach makes a new anonymous account and prints its key.
    /// </summary>
    public string? AccountKey { get; set; }

    /// <summary>
    /// The local address every connection to the coordinators leaves from, on a host with several; by default the
    /// system picks one. The project tells networks apart by it.
    /// </summary>
    public string? SourceAddress { get; set; }

    /// <summary>How long to wait between syncs when there is nothing to report and no work was offered.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan IdleSyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First back-off after a failed sync; doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for one HTTP attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the running agent writes what it is doing to its status file (read by the status command).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Binds the section and validates it as ValidateDataAnnotations would. Throws
    /// OptionsValidationException naming every setting that is wrong, or not of its type.
    /// </summary>
    public static WorkerOptions From(IConfiguration configuration)
    {
        var options = new WorkerOptions();
        try
        {
            configuration.GetSection(Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(WorkerOptions), [ex.Message]);
        }
        var validation = new DataAnnotationValidateOptions<WorkerOptions>(Options.DefaultName).Validate(Options.DefaultName, options);
        return validation.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(WorkerOptions), validation.Failures)
            : options;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SourceAddress is not null && !IPAddress.TryParse(SourceAddress, out _))
        {
            yield return new ValidationResult($"The field SourceAddress must be an IP address of this host, not '{SourceAddress}'.", [nameof(SourceAddress)]);
        }
    }

    private static string DefaultStateDirectory()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(dataHome, "volunteer-worker");
    }
}

using Microsoft.Extensions.Options;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Settings;

/// <summary>
/// The settings an owner names: on the command line of `run`, in `set`, in the settings file and the environment.
/// Configuration is read in this order, each overriding the one before: the defaults, the settings file
/// (&lt;state-dir&gt;/settings.json or --config FILE), the environment (Worker__X), the command line.
/// </summary>
public static class AgentSettings
{
    /// <summary>What the owner lets the agent take of the machine (<see cref="ComputeLimits"/>): a running agent puts a change in force at once.</summary>
    public static readonly IReadOnlyList<AgentSetting> Limits =
    [
        new("slots", nameof(ComputeLimits.Slots), SettingKind.Integer, true, "units computed at once, one core each (default: the processor count)"),
        new("cpu-percent", nameof(ComputeLimits.CpuPercent), SettingKind.Integer, true, "share of each core's time a computing unit may take, 1..100 (default 100)"),
        new("memory-per-unit", nameof(ComputeLimits.MemoryPerUnitBytes), SettingKind.Size, true, "most memory one unit may need; larger units are not run (default 0: no limit)"),
        new("disk", nameof(ComputeLimits.DiskBytes), SettingKind.Size, true, "most disk the state directory may take (default 0: no limit)"),
        new("compute-windows", nameof(ComputeLimits.ComputeWindows), SettingKind.Text, true, "when units may compute, local time, e.g. \"22:00-07:00\" or \"Mon-Fri 18:00-08:00,Sat-Sun\" (default: always)"),
        new("pause-when-in-use", nameof(ComputeLimits.PauseWhenInUse), SettingKind.Switch, true, "pause while the owner uses the machine (default false)"),
        new("idle-minutes", nameof(ComputeLimits.IdleMinutes), SettingKind.Number, true, "minutes without keyboard or mouse before the machine counts as not in use (default 3)"),
        new("in-use-cpu-percent", nameof(ComputeLimits.InUseCpuPercent), SettingKind.Integer, true, "other programs' CPU load above which the machine counts as in use, where input idleness cannot be read (default 25)"),
        new("pause-on-battery", nameof(ComputeLimits.PauseOnBattery), SettingKind.Switch, true, "pause while on battery, where detectable (default true)"),
        new("checkpoint-interval", nameof(ComputeLimits.CheckpointInterval), SettingKind.Duration, true, "how often a unit saves a checkpoint (default 60s)"),
        new("buffer", nameof(ComputeLimits.BufferSeconds), SettingKind.Seconds, true, "work kept leased: enough to stay busy this long offline (default 10m)"),
        new("buffer-extra", nameof(ComputeLimits.BufferExtraSeconds), SettingKind.Seconds, true, "work leased beyond --buffer when the agent asks, so it asks in batches (default 5m)"),
    ];

    /// <summary>The agent's other settings (<see cref="WorkerOptions"/>): they take effect at its next start.</summary>
    public static readonly IReadOnlyList<AgentSetting> AtStart =
    [
        new("name", nameof(WorkerOptions.Name), SettingKind.Text, false, "this host's name as the project sees it (default: the machine name)"),
        new("source-address", nameof(WorkerOptions.SourceAddress), SettingKind.Text, false, "local address every connection to the coordinators and peers leaves from, on a host with several"),
        new("peer-port", nameof(WorkerOptions.PeerPort), SettingKind.Integer, false, "the peer endpoint's port (default 0: any free port)"),
        new("peer-address", nameof(WorkerOptions.PeerAddress), SettingKind.Text, false, "the address the peer endpoint listens on (default: the source address, else all)"),
        new("upload-limit", nameof(WorkerOptions.UploadBytesPerSecond), SettingKind.Size, false, "most bytes per second sent to peers, all together (default 0: unbounded)"),
        new("cache-size", nameof(WorkerOptions.CacheBytes), SettingKind.Size, false, "most disk the blob cache takes (default 10GiB)"),
        new("serve", nameof(WorkerOptions.Serve), SettingKind.Switch, false, "run the peer endpoint (default true; --no-serve on the command line)"),
    ];

    public static readonly IReadOnlyList<AgentSetting> All = [.. Limits, .. AtStart];

    public static AgentSetting? Named(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads the configuration's sources again (the settings file `set` wrote) and returns the limits now in it; a
    /// running agent's <c>IAgentControl.Reload</c> does this.
    /// </summary>
    public static ComputeLimits ReloadLimits(IConfiguration configuration)
    {
        (configuration as IConfigurationRoot)?.Reload();
        return ComputeLimits.From(configuration);
    }

    /// <summary>Binds section "Worker" to a new <typeparamref name="T"/> and validates its data annotations.</summary>
    internal static T Bind<T>(IConfiguration configuration) where T : class, new()
    {
        var bound = new T();
        try
        {
            configuration.GetSection(WorkerOptions.Section).Bind(bound);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), [ex.Message]);
        }
        var validation = new DataAnnotationValidateOptions<T>(Options.DefaultName).Validate(Options.DefaultName, bound);
        return validation.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(T), validation.Failures) : bound;
    }

    /// <summary>The failures of <paramref name="invalid"/> as lines for the owner.</summary>
    public static string Describe(OptionsValidationException invalid) => string.Join(Environment.NewLine, invalid.Failures);
}

/// <summary>Where the configuration comes from, and in which order (each overrides the one before).</summary>
public static class AgentConfiguration
{
    /// <summary>
    /// Replaces <paramref name="configuration"/>'s sources with the settings file, the environment and the command
    /// line's settings (configuration paths such as Worker:CpuPercent), in that order. The file is read again on
    /// <see cref="IConfigurationRoot.Reload"/>, never watched: `set` tells a running agent when it changed.
    /// </summary>
    public static IConfigurationBuilder UseAgentSources(this IConfigurationBuilder configuration, string settingsFile, IReadOnlyDictionary<string, string?> fromCommandLine)
    {
        configuration.Sources.Clear();
        configuration.AddJsonFile(Path.GetFullPath(settingsFile), optional: true, reloadOnChange: false);
        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(fromCommandLine);
        return configuration;
    }
}

using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Settings;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Commands;

/// <summary>The owner's say over the agent: pause, resume, and the settings `set` keeps.</summary>
public static class OwnerCommands
{
    /// <summary>Holds every unit of the running agent (in memory) and starts none, until resume or for <paramref name="duration"/>.</summary>
    public static async Task<int> PauseAsync(string stateDirectory, TimeSpan? duration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (duration is { } span && span <= TimeSpan.Zero)
        {
            error.WriteLine("--for must be a positive duration, e.g. 30m or 2h.");
            return ExitCodes.Usage;
        }
        using var agent = await RunningAgentAsync(stateDirectory, error, cancellationToken);
        if (agent is null)
        {
            return ExitCodes.Failed;
        }
        await agent.PauseAsync(duration, cancellationToken);
        output.WriteLine(duration is { } d
            ? $"Paused by the owner for {Figures.Duration(d)}; units are held where they are and resume by themselves."
            : "Paused by the owner; units are held where they are until 'resume'.");
        return ExitCodes.Ok;
    }

    public static async Task<int> ResumeAsync(string stateDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var agent = await RunningAgentAsync(stateDirectory, error, cancellationToken);
        if (agent is null)
        {
            return ExitCodes.Failed;
        }
        await agent.ResumeAsync(cancellationToken);
        output.WriteLine("Resumed: the owner's pause is lifted.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Keeps <paramref name="value"/> for the setting <paramref name="name"/> in the settings file (or removes it when
    /// null). The value is checked first, as the agent would read it: a bad one is refused (exit 2) and nothing is
    /// written. A running agent is then told to reload, and puts a changed limit in force at once.
    /// </summary>
    public static async Task<int> SetAsync(
        string stateDirectory, SettingsFile file, string name, string? value, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (AgentSettings.Named(name) is not { } setting)
        {
            error.WriteLine($"There is no setting '{name}'; 'set --list' lists them.");
            return ExitCodes.Usage;
        }
        string? canonical = null;
        if (value is not null && (canonical = setting.Canonical(value, out var notAValue)) is null)
        {
            error.WriteLine(notAValue);
            return ExitCodes.Usage;
        }
        var changed = file.With(setting.Key, canonical);
        try
        {
            // The file as it would be, read as the agent reads it: every setting in it must hold.
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(changed))).Build();
            WorkerOptions.From(configuration);
            ComputeLimits.From(configuration);
        }
        catch (OptionsValidationException invalid)
        {
            error.WriteLine($"{setting.Name}: {AgentSettings.Describe(invalid)}");
            return ExitCodes.Usage;
        }
        file.Save(changed);
        output.WriteLine(canonical is null ? $"{setting.Name}: back to its default ({file.Path})." : $"{setting.Name} = {canonical} ({file.Path}).");
        using var agent = await ControlClient.TryConnectAsync(stateDirectory, cancellationToken);
        if (agent is null)
        {
            return ExitCodes.Ok;
        }
        if (!setting.Live)
        {
            output.WriteLine("The running agent takes this setting at its next start.");
            return ExitCodes.Ok;
        }
        try
        {
            var limits = await agent.ReloadAsync(cancellationToken);
            var inForce = InForce(setting, limits);
            output.WriteLine(canonical is null || inForce == canonical
                ? $"The running agent now holds to {setting.Name} = {inForce}."
                : $"The running agent holds to {setting.Name} = {inForce}: its environment or command line sets it, and they take precedence over the settings file.");
            return ExitCodes.Ok;
        }
        catch (ControlRefusedException refused)
        {
            error.WriteLine($"Saved, but the running agent did not take it: {refused.Message}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>Every setting with the value in force outside the command line (settings file, then environment) and where it comes from.</summary>
    public static int List(SettingsFile file, IConfiguration configuration, TextWriter output)
    {
        var inFile = file.Read();
        var options = WorkerOptions.From(configuration);
        var limits = ComputeLimits.From(configuration);
        output.WriteLine($"Settings (file {file.Path}; environment Worker__<Key> overrides it, the command line overrides both):");
        foreach (var setting in AgentSettings.All)
        {
            var source = Environment.GetEnvironmentVariable($"{WorkerOptions.Section}__{setting.Key}") is not null ? "environment"
                : inFile.ContainsKey(setting.Key) ? "settings file"
                : "default";
            var value = setting.Live ? InForce(setting, limits) : Value(typeof(WorkerOptions).GetProperty(setting.Key)!.GetValue(options));
            output.WriteLine($"  {setting.Name,-20} {value,-22} {source,-13} {(setting.Live ? "" : "(at next start) ")}{setting.Description}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>A limit's value as configuration keeps it, for comparison with what `set` wrote.</summary>
    private static string InForce(AgentSetting setting, ComputeLimits limits)
    {
        var value = Value(typeof(ComputeLimits).GetProperty(setting.Key)!.GetValue(limits));
        return setting.Canonical(value, out _) ?? value;
    }

    private static string Value(object? value) => value switch
    {
        null => "",
        bool on => on ? "true" : "false",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static async Task<ControlClient?> RunningAgentAsync(string stateDirectory, TextWriter error, CancellationToken cancellationToken)
    {
        var agent = await ControlClient.TryConnectAsync(stateDirectory, cancellationToken);
        if (agent is null)
        {
            error.WriteLine(AgentLock.IsHeld(stateDirectory)
                ? $"The agent on {stateDirectory} runs, but its control socket does not answer."
                : $"No agent is running on {stateDirectory}.");
        }
        return agent;
    }
}

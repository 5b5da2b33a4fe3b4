using System.Globalization;

namespace Volunteer.Worker.Settings;

/// <summary>How a setting's value is written on the command line and in `set`, and how it is kept in configuration.</summary>
public enum SettingKind
{
    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>A number, fractions allowed.</summary>
    Number,

    /// <summary>Bytes: 1048576, or with a binary unit: 512MiB, 2GiB (K, M, G, T alone mean the same).</summary>
    Size,

    /// <summary>A span of time: 90s, 5m, 2h, 1d, or 00:01:30; kept as a TimeSpan.</summary>
    Duration,

    /// <summary>A span of time written as for <see cref="Duration"/>, kept as a number of seconds.</summary>
    Seconds,

    /// <summary>true or false (yes/no, on/off).</summary>
    Switch,

    /// <summary>Text, kept as written.</summary>
    Text,
}

/// <summary>
/// One setting the owner may give on the command line (--cpu-percent 50), keep with `set cpu-percent 50`, or put in
/// the settings file or the environment under its key (Worker:CpuPercent, Worker__CpuPercent).
/// </summary>
/// <param name="Name">Its name on the command line (without the dashes) and in `set`.</param>
/// <param name="Key">Its configuration key under the section "Worker".</param>
/// <param name="Live">Whether a running agent puts it in force when `set` changes it (the compute limits); the others
/// take effect at the agent's next start.</param>
public sealed record AgentSetting(string Name, string Key, SettingKind Kind, bool Live, string Description)
{
    /// <summary>The configuration path of the setting, e.g. Worker:CpuPercent.</summary>
    public string Path => $"{WorkerOptions.Section}:{Key}";

    /// <summary>The value as configuration keeps it, or null with <paramref name="error"/> saying why it is not one.</summary>
    public string? Canonical(string value, out string? error)
    {
        error = null;
        var text = value.Trim();
        switch (Kind)
        {
            case SettingKind.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole):
                return whole.ToString(CultureInfo.InvariantCulture);
            case SettingKind.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number):
                return number.ToString("R", CultureInfo.InvariantCulture);
            case SettingKind.Size when SettingValues.TryParseSize(text, out var bytes):
                return bytes.ToString(CultureInfo.InvariantCulture);
            case SettingKind.Duration when SettingValues.TryParseDuration(text, out var span):
                return span.ToString("c", CultureInfo.InvariantCulture);
            case SettingKind.Seconds when SettingValues.TryParseDuration(text, out var span):
                return span.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
            case SettingKind.Switch when SettingValues.TryParseSwitch(text, out var on):
                return on ? "true" : "false";
            case SettingKind.Text:
                return value;
        }
        error = $"{Name}: '{value}' is not {Expected}.";
        return null;
    }

    /// <summary>What a value of this setting looks like, for messages and help.</summary>
    public string Expected => Kind switch
    {
        SettingKind.Integer => "a whole number",
        SettingKind.Number => "a number",
        SettingKind.Size => "a size in bytes (e.g. 1048576, 512MiB, 2GiB)",
        SettingKind.Duration or SettingKind.Seconds => "a duration (e.g. 90s, 5m, 2h, 1d or 00:01:30; a bare number is seconds)",
        SettingKind.Switch => "true or false",
        _ => "text",
    };

    /// <summary>The placeholder help shows for the value.</summary>
    public string HelpName => Kind switch
    {
        SettingKind.Integer or SettingKind.Number => "N",
        SettingKind.Size => "SIZE",
        SettingKind.Duration or SettingKind.Seconds => "DURATION",
        SettingKind.Switch => "true|false",
        _ => "TEXT",
    };
}

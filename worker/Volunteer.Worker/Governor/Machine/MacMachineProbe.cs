using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Volunteer.Worker.Governor.Machine;

/// <summary>
/// The machine as macOS tells it, through its own tools: the HID system's idle time (<c>ioreg -c IOHIDSystem</c>) and
/// the power source (<c>pmset -g batt</c>). Each answer is kept a few seconds, as asking costs a process start.
/// CPU load is not read: input idleness is always known here.
/// </summary>
public sealed partial class MacMachineProbe(TimeProvider timeProvider) : IMachineProbe
{
    private static readonly TimeSpan AskEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(2);

    private (long At, TimeSpan? Idle)? _idle;
    private (long At, bool? OnBattery)? _battery;

    public TimeSpan? InputIdle()
    {
        if (_idle is not { } known || timeProvider.GetElapsedTime(known.At) >= AskEvery)
        {
            known = (timeProvider.GetTimestamp(), ParseHidIdleTime(Run("ioreg", "-c IOHIDSystem")));
            _idle = known;
            return known.Idle;
        }
        // The idle time grew as the answer aged, unless the owner came back meanwhile (then the next ask says so).
        return known.Idle + timeProvider.GetElapsedTime(known.At);
    }

    public double? OtherCpuLoad() => null;

    public bool? OnBattery()
    {
        if (_battery is not { } known || timeProvider.GetElapsedTime(known.At) >= AskEvery)
        {
            known = (timeProvider.GetTimestamp(), ParsePmsetBattery(Run("pmset", "-g batt")));
            _battery = known;
        }
        return known.OnBattery;
    }

    /// <summary>The first "HIDIdleTime" = N (nanoseconds) in ioreg's output.</summary>
    internal static TimeSpan? ParseHidIdleTime(string? ioreg) =>
        ioreg is not null && HidIdleTime().Match(ioreg) is { Success: true } match
            && long.TryParse(match.Groups["ns"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
            ? TimeSpan.FromTicks(nanoseconds / 100)
            : null;

    /// <summary>From "Now drawing from 'Battery Power'" or "'AC Power'" in pmset's output.</summary>
    internal static bool? ParsePmsetBattery(string? pmset) =>
        pmset is null ? null
        : pmset.Contains("'Battery Power'", StringComparison.Ordinal) ? true
        : pmset.Contains("'AC Power'", StringComparison.Ordinal) ? false
        : null;

    private static string? Run(string tool, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, arguments)
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(ToolTimeout))
            {
                process.Kill();
                return null;
            }
            return output.Result;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    [GeneratedRegex("\"HIDIdleTime\"\\s*=\\s*(?<ns>\\d+)")]
    private static partial Regex HidIdleTime();
}

using Volunteer.Protocol;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Agent;

/// <summary>A unit a project holds (waiting for a slot or computing): its app and how far along it is.</summary>
public readonly record struct HeldWork(string App, double FractionDone);

/// <summary>
/// One project's work buffer (BOINC's "store at least N seconds, and up to M more"): how many units to ask for so
/// that its queued and running work lasts <see cref="ComputeLimits.BufferSeconds"/> on its share of the slots, from a
/// moving average of how long its units take, per app. Short units then never wait on a round trip: they are leased
/// ahead and queue locally.
/// </summary>
public sealed class WorkBuffer
{
    /// <summary>The weight of the newest duration in the moving averages.</summary>
    private const double Smoothing = 0.2;

    /// <summary>No unit is taken to cost less than this, so that a free unit does not make the buffer boundless.</summary>
    private const double ShortestUnitSeconds = 0.001;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, double> _secondsByApp = new(StringComparer.Ordinal);
    private double? _seconds;

    /// <summary>Learns how long a unit of <paramref name="app"/> took to compute.</summary>
    public void Computed(string app, TimeSpan duration)
    {
        var seconds = Math.Max(duration.TotalSeconds, ShortestUnitSeconds);
        lock (_gate)
        {
            _secondsByApp[app] = _secondsByApp.TryGetValue(app, out var average) ? Averaged(average, seconds) : seconds;
            _seconds = _seconds is { } all ? Averaged(all, seconds) : seconds;
        }
    }

    /// <summary>The moving average of a unit's duration of this app; null before one finished.</summary>
    public double? SecondsPerUnit(string app)
    {
        lock (_gate)
        {
            return _secondsByApp.TryGetValue(app, out var seconds) ? seconds : null;
        }
    }

    /// <summary>
    /// How many units to ask for now. Before any duration is known: one per slot not held (as agents always did).
    /// Then: none while the held work lasts at least BufferSeconds on <paramref name="slotShare"/> slots, else enough
    /// to reach BufferSeconds + BufferExtraSeconds; never fewer than the slots not held. Always within the coordinator's
    /// limits: at most MaxUnitsPerSync, and no more than MaxInProgress held in all.
    /// </summary>
    /// <param name="held">The units the project holds (leased, waiting or computing).</param>
    /// <param name="reportsHeld">Reports the project still holds, which count against MaxInProgress too.</param>
    /// <param name="slots">All slots of the machine now.</param>
    /// <param name="slotShare">The project's share of them.</param>
    public int UnitsToAsk(IReadOnlyCollection<HeldWork> held, int reportsHeld, int slots, double slotShare, ComputeLimits limits, SyncLimits told)
    {
        var wanted = Math.Max(0, slots - held.Count);
        double? perUnit;
        lock (_gate)
        {
            perUnit = _seconds;
        }
        if (perUnit is { } average && limits.BufferSeconds > 0)
        {
            double heldSeconds;
            lock (_gate)
            {
                heldSeconds = held.Sum(w => _secondsByApp.GetValueOrDefault(w.App, average) * (1 - Math.Clamp(w.FractionDone, 0, 1)));
            }
            var share = Math.Max(slotShare, 1e-3);
            if (heldSeconds < limits.BufferSeconds * share)
            {
                var missing = (limits.BufferSeconds + limits.BufferExtraSeconds) * share - heldSeconds;
                wanted = (int)Math.Max(wanted, Math.Min(int.MaxValue, Math.Ceiling(missing / average)));
            }
        }
        var room = told.MaxInProgress - held.Count - reportsHeld;
        return Math.Clamp(Math.Min(wanted, room), 0, told.MaxUnitsPerSync);
    }

    private static double Averaged(double average, double seconds) => average + Smoothing * (seconds - average);
}

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host's valid results of one app over the last hour, by minute, and the judgement of whether they are more than
/// its reported cores could compute: a host that returns results faster than its hardware allows is copying them,
/// forging them or hiding a farm behind one identity, and in any case should not be trusted to work alone.
/// </summary>
public sealed class ResultRate
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    /// <summary>At most one entry per minute of the last hour, oldest first.</summary>
    private readonly List<(DateTimeOffset Minute, long Valid)> _minutes = [];

    /// <summary>Valid results counted in the hour before the last <see cref="Count"/>.</summary>
    public long LastHour { get; private set; }

    public void Count(long valid, DateTimeOffset now)
    {
        var minute = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        if (valid > 0)
        {
            if (_minutes.Count > 0 && _minutes[^1].Minute == minute)
            {
                _minutes[^1] = (minute, _minutes[^1].Valid + valid);
            }
            else
            {
                _minutes.Add((minute, valid));
            }
            LastHour += valid;
        }
        while (_minutes.Count > 0 && now - _minutes[0].Minute >= Window)
        {
            LastHour -= _minutes[0].Valid;
            _minutes.RemoveAt(0);
        }
    }

    /// <summary>What <paramref name="cores"/> could compute in an hour at <paramref name="costPerUnitSeconds"/> core-seconds a unit.</summary>
    public static double CapacityPerHour(int cores, double costPerUnitSeconds) => cores * Window.TotalSeconds / costPerUnitSeconds;

    /// <summary>
    /// Whether the last hour's valid results exceed <paramref name="tolerance"/> times the host's capacity; never on fewer
    /// than <paramref name="minResults"/> (too few to tell a rate) nor before the population's cost is measured.
    /// </summary>
    public bool Exceeds(int cores, double? costPerUnitSeconds, double tolerance, int minResults) =>
        costPerUnitSeconds is > 0 && LastHour >= minResults && LastHour > tolerance * CapacityPerHour(cores, costPerUnitSeconds.Value);
}

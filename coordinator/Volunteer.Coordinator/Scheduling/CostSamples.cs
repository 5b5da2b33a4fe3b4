namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// What a unit of a job costs in core-seconds, from the last results reported (each result's turnaround times its
/// host's cores, shared among the replicas it held): the median, so a minority of hosts lying about their speed does
/// not move it. A fixed ring of samples, so it costs the same for the job's first unit and its millionth.
/// </summary>
public sealed class CostSamples
{
    private const int Capacity = 255;
    private readonly double[] _samples = new double[Capacity];
    private int _count;
    private int _next;

    public void Add(double coreSeconds)
    {
        _samples[_next] = coreSeconds;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(Capacity, _count + 1);
    }

    public double? Median
    {
        get
        {
            if (_count == 0)
            {
                return null;
            }
            var sorted = _samples[.._count];
            Array.Sort(sorted);
            return sorted[_count / 2];
        }
    }
}

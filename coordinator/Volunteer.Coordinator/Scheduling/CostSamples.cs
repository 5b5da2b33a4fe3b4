namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// What a unit of a job costs in core-seconds, as the population measures it: each host's last result (its turnaround
/// times its cores, shared among the replicas it held) is one vote, and the cost is the median vote, so a minority of
/// hosts that return results faster than they could compute them (the very hosts this measure is to expose) moves it
/// little, however many results they send. The votes of the last hosts heard from are kept, a bounded number.
/// </summary>
public sealed class CostSamples
{
    private const int MaxHosts = 255;
    private readonly Dictionary<Guid, double> _byHost = [];
    private readonly Queue<Guid> _hostsInOrder = [];

    public void Add(Guid workerId, double coreSeconds)
    {
        if (!_byHost.ContainsKey(workerId))
        {
            _hostsInOrder.Enqueue(workerId);
            if (_hostsInOrder.Count > MaxHosts)
            {
                _byHost.Remove(_hostsInOrder.Dequeue());
            }
        }
        _byHost[workerId] = coreSeconds;
    }

    /// <summary>The median of the hosts' votes; null before any.</summary>
    public double? Median
    {
        get
        {
            if (_byHost.Count == 0)
            {
                return null;
            }
            var sorted = _byHost.Values.Order().ToList();
            return sorted[sorted.Count / 2];
        }
    }
}

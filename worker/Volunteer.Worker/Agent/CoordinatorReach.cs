namespace Volunteer.Worker.Agent;

/// <summary>
/// Whether the agent reaches a coordinator: since when every attempt to reach one has failed (no connection, a
/// timeout, a 5xx), and a signal at each failure. The coordinator client keeps retrying; this is how the rest of the
/// agent notices the outage meanwhile (to relay its reports through a peer).
/// </summary>
public sealed class CoordinatorReach(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _failed = new(0, 1);
    private DateTimeOffset? _failingSince;

    /// <summary>How long every attempt has been failing; zero while coordinators answer.</summary>
    public TimeSpan CutOffFor
    {
        get
        {
            lock (_gate)
            {
                return _failingSince is { } since ? time.GetUtcNow() - since : TimeSpan.Zero;
            }
        }
    }

    /// <summary>An attempt got no answer.</summary>
    public void Failed()
    {
        lock (_gate)
        {
            _failingSince ??= time.GetUtcNow();
        }
        // One signal stands for any number of failures since it was last taken.
        if (_failed.CurrentCount == 0)
        {
            try
            {
                _failed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another failure signalled it in between.
            }
        }
    }

    /// <summary>A coordinator answered (whatever it said).</summary>
    public void Reached()
    {
        lock (_gate)
        {
            _failingSince = null;
        }
    }

    /// <summary>Completes at the next failure (or at once if one happened since the last wait).</summary>
    public Task NextFailureAsync(CancellationToken cancellationToken) => _failed.WaitAsync(cancellationToken);
}

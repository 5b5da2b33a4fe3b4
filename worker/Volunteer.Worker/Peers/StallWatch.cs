namespace Volunteer.Worker.Peers;

/// <summary>
/// A cancellation that fires when nothing has moved for a while (a peer that stopped sending a chunk, an upload the
/// coordinator stopped reading), or when the outer token does. Each sign of progress restarts the wait.
/// </summary>
public sealed class StallWatch : IDisposable
{
    private readonly CancellationTokenSource _stalled;
    private readonly CancellationTokenRegistration _outer;
    private readonly CancellationToken _outerToken;
    private readonly TimeSpan _timeout;

    public StallWatch(TimeSpan timeout, TimeProvider time, CancellationToken outer)
    {
        _timeout = timeout;
        _outerToken = outer;
        _stalled = new CancellationTokenSource(timeout, time);
        _outer = outer.Register(static s => ((CancellationTokenSource)s!).Cancel(), _stalled);
    }

    public CancellationToken Token => _stalled.Token;

    /// <summary>True when the watch fired because nothing moved, not because the outer token was cancelled.</summary>
    public bool Stalled => _stalled.IsCancellationRequested && !_outerToken.IsCancellationRequested;

    /// <summary>Something moved: the wait starts again.</summary>
    public void Progress()
    {
        if (!_stalled.IsCancellationRequested)
        {
            _stalled.CancelAfter(_timeout);
        }
    }

    public void Dispose()
    {
        _outer.Dispose();
        _stalled.Dispose();
    }
}

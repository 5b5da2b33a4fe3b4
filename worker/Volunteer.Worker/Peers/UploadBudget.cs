namespace Volunteer.Worker.Peers;

/// <summary>
/// The volunteer's upload cap (<see cref="WorkerOptions.UploadBytesPerSecond"/>) as a token bucket that every response of
/// the peer endpoint and every upload to the coordinator draws from: it fills at the cap, holds at most one second's
/// worth, and a sender that takes more than it holds waits until its debt is paid. Takers queue in the order they
/// asked, so no response starves. A cap of 0 grants everything at once.
/// </summary>
public sealed class UploadBudget(long bytesPerSecond, TimeProvider time)
{
    /// <summary>The most one write takes at a time, so that responses share a small cap in turns rather than in megabytes.</summary>
    public const int Piece = 16 * 1024;

    private readonly Lock _gate = new();
    private double _tokens = bytesPerSecond;
    private long _refilledAt = time.GetTimestamp();
    private long _granted;

    public long BytesPerSecond { get; } = bytesPerSecond;

    /// <summary>Every byte granted so far (what the endpoint sent, or is about to send).</summary>
    public long Granted => Interlocked.Read(ref _granted);

    /// <summary>The tokens in the bucket now; negative while takers wait for their debt to be paid.</summary>
    public double Tokens
    {
        get
        {
            lock (_gate)
            {
                Refill();
                return _tokens;
            }
        }
    }

    /// <summary>Completes once <paramref name="bytes"/> may be sent.</summary>
    public Task TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _granted, bytes);
        if (BytesPerSecond == 0)
        {
            return Task.CompletedTask;
        }
        TimeSpan wait;
        lock (_gate)
        {
            Refill();
            _tokens -= bytes;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / BytesPerSecond);
        }
        return wait == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, time, cancellationToken);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> within the budget, telling
    /// <paramref name="progress"/> each time a piece was granted and each time it was written.
    /// </summary>
    public async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken, Action? progress = null)
    {
        var buffer = new byte[Piece];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await TakeAsync(read, cancellationToken);
            progress?.Invoke();
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            progress?.Invoke();
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="destination"/> within the budget.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> content, Stream destination, CancellationToken cancellationToken)
    {
        for (var at = 0; at < content.Length; at += Piece)
        {
            var piece = content.Slice(at, Math.Min(Piece, content.Length - at));
            await TakeAsync(piece.Length, cancellationToken);
            await destination.WriteAsync(piece, cancellationToken);
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(BytesPerSecond, _tokens + time.GetElapsedTime(_refilledAt, now).TotalSeconds * BytesPerSecond);
        _refilledAt = now;
    }
}

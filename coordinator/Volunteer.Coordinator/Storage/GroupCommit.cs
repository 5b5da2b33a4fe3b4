using System.Threading.Channels;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>
/// Group commit: callers enqueue batches and wait; one writer takes everything queued so far and
/// commits it in a single transaction, then answers every caller of that group. Throughput comes
/// from sharing one durable write among many callers, never from answering before the commit.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private readonly Func<IReadOnlyList<WorkBatch>, CancellationToken, Task> _commitGroupAsync;
    private readonly int _maxGroupSize;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;

    /// <param name="commitGroupAsync">Writes all batches in one transaction; throws if it did not commit.</param>
    public GroupCommit(Func<IReadOnlyList<WorkBatch>, CancellationToken, Task> commitGroupAsync, int maxGroupSize = 512)
    {
        _commitGroupAsync = commitGroupAsync;
        _maxGroupSize = maxGroupSize;
        _writer = Task.Run(WriteAsync);
    }

    public Task CommitAsync(WorkBatch batch)
    {
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }
        var pending = new Pending(batch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommit), "The store is shutting down.");
        }
        return pending.Committed.Task;
    }

    private async Task WriteAsync()
    {
        var group = new List<Pending>(_maxGroupSize);
        var batches = new List<WorkBatch>(_maxGroupSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            batches.Clear();
            while (group.Count < _maxGroupSize && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
                batches.Add(pending.Batch);
            }
            if (await TryCommitAsync(batches).ConfigureAwait(false) is not { } failure)
            {
                group.ForEach(p => p.Committed.TrySetResult());
            }
            else if (group.Count == 1)
            {
                group[0].Committed.TrySetException(failure);
            }
            else
            {
                // One bad batch must not fail the callers it happened to share a transaction with:
                // retry each alone so only the culprit hears of the failure.
                foreach (var pending in group)
                {
                    if (await TryCommitAsync([pending.Batch]).ConfigureAwait(false) is { } own)
                    {
                        pending.Committed.TrySetException(own);
                    }
                    else
                    {
                        pending.Committed.TrySetResult();
                    }
                }
            }
        }
    }

    private async Task<Exception?> TryCommitAsync(IReadOnlyList<WorkBatch> batches)
    {
        try
        {
            await _commitGroupAsync(batches, _stopping.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private sealed record Pending(WorkBatch Batch, TaskCompletionSource Committed);
}

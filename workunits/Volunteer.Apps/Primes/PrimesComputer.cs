using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>Counts the primes of one unit on a volunteer's machine.</summary>
/// <remarks>
/// The sieve runs synchronously on the calling thread: the worker agent already gives each unit a
/// thread of its own, and the only awaits are the checkpoint saves.
/// </remarks>
internal sealed class PrimesComputer(TimeProvider timeProvider) : IUnitComputer
{
    /// <summary>Often enough that an interrupted unit loses little work, rarely enough to cost nothing.</summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    /// <summary>Keeps progress reports to a rate the agent's display can use.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly TimeProvider _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

    public async Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();

        var unit = PrimesUnit.Parse(input.Json);
        var resumed = PrimesCheckpoint.TryRead(context.Checkpoint, unit) ?? new PrimesCheckpoint(unit.From, 0);
        var counter = new SegmentedPrimeCounter(resumed.NextPosition, unit.To);

        var lastCheckpoint = _timeProvider.GetTimestamp();
        var lastProgress = lastCheckpoint;
        while (!counter.IsDone)
        {
            cancellationToken.ThrowIfCancellationRequested();
            counter.SieveNextSegment();
            if (counter.IsDone)
            {
                break;
            }

            if (_timeProvider.GetElapsedTime(lastProgress) >= ProgressInterval)
            {
                context.ReportProgress((double)(counter.Position - unit.From) / unit.Length);
                lastProgress = _timeProvider.GetTimestamp();
            }
            if (_timeProvider.GetElapsedTime(lastCheckpoint) >= CheckpointInterval)
            {
                var checkpoint = new PrimesCheckpoint(counter.Position, resumed.CountSoFar + counter.Count);
                await context.SaveCheckpointAsync(checkpoint.ToBytes(), cancellationToken).ConfigureAwait(false);
                lastCheckpoint = _timeProvider.GetTimestamp();
            }
        }

        context.ReportProgress(1.0);
        return PrimesResult.ToPayload(resumed.CountSoFar + counter.Count);
    }
}

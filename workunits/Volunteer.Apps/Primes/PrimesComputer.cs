using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>Counts the primes of one unit on a volunteer's machine.</summary>
/// <remarks>
/// The sieve runs synchronously on the calling thread: the worker agent already gives each unit a thread of its own,
/// and the only awaits are the checkpoint saves. It reports progress after every segment (a few milliseconds of work),
/// where the agent pauses and throttles it, and checkpoints when the agent says it is time: every checkpoint interval,
/// and as the unit is stopped, so that a stop loses nothing and a crash loses at most one interval.
/// </remarks>
internal sealed class PrimesComputer : IUnitComputer
{
    /// <inheritdoc/>
    public long? MemoryNeed(UnitInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return SegmentedPrimeCounter.MemoryNeed(PrimesUnit.Parse(input.Json).To);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    public async Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();

        var unit = PrimesUnit.Parse(input.Json);
        var resumed = PrimesCheckpoint.TryRead(context.Checkpoint, unit) ?? new PrimesCheckpoint(unit.From, 0);
        var counter = new SegmentedPrimeCounter(resumed.NextPosition, unit.To);
        if (resumed.NextPosition > unit.From)
        {
            // Where the unit stands from the start, before the first segment of this run.
            context.ReportProgress(FractionAt(unit, resumed.NextPosition));
        }

        while (!counter.IsDone)
        {
            counter.SieveNextSegment();
            if (counter.IsDone)
            {
                break;
            }
            var fraction = FractionAt(unit, counter.Position);
            context.ReportProgress(fraction);
            // True once the unit is stopped, too: the work done so far is saved before the stop below.
            if (context.TimeToCheckpoint)
            {
                var checkpoint = new PrimesCheckpoint(counter.Position, resumed.CountSoFar + counter.Count);
                await context.SaveCheckpointAsync(checkpoint.ToBytes(), fraction, CancellationToken.None).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        context.ReportProgress(1.0);
        return PrimesResult.ToPayload(resumed.CountSoFar + counter.Count);
    }

    private static double FractionAt(PrimesUnit unit, long position) => (double)(position - unit.From) / unit.Length;
}

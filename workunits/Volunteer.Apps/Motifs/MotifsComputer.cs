using System.Buffers.Binary;
using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>Counts one unit's motifs in the job's sequence, read once from the agent's verified copy of the blob.</summary>
/// <remarks>
/// A unit is one pass over the sequence, about a quarter of a second per 64 MiB with a few motifs, but a sequence may be
/// gigabytes and thousands of motifs slow the pass, so it reports progress after every mebibyte (where the agent pauses
/// and throttles it) and, when the agent says it is time, checkpoints how far it read and what it counted so far.
/// </remarks>
internal sealed class MotifsComputer : IUnitComputer
{
    private const int ReadBytes = 1024 * 1024;

    public async Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        var unit = MotifsUnit.Parse(input.Json);
        var counter = new MotifCounter(unit.Motifs);

        var sequence = context.OpenBlob(unit.Sequence);
        await using (sequence.ConfigureAwait(false))
        {
            long? length = sequence.CanSeek ? sequence.Length : null;
            var read = Resume(context.Checkpoint, counter, sequence, length);
            if (read > 0)
            {
                context.ReportProgress((double)read / length!.Value);
            }
            var buffer = new byte[ReadBytes];
            int n;
            // Not cancelled mid-read: a stop is seen after the read, once what was read is counted and saved.
            while ((n = await sequence.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                counter.Add(buffer.AsSpan(0, n));
                read += n;
                var fraction = length is > 0 ? Math.Min(1.0, (double)read / length.Value) : double.NaN;
                context.ReportProgress(fraction);
                // True once the unit is stopped, too: what was counted so far is saved before the stop below.
                if (length is { } total && read < total && context.TimeToCheckpoint)
                {
                    await context.SaveCheckpointAsync(Checkpoint(counter, read), fraction, CancellationToken.None).ConfigureAwait(false);
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
            // The stated size fixes the unit's credit and bounds its counts: a sequence of another size is the job's mistake.
            if (unit.SequenceBytes is { } stated && stated != read)
            {
                throw new InvalidDataException($"The job states a sequence of {stated} bytes; {unit.Sequence} is {read} bytes.");
            }
        }
        context.ReportProgress(1.0);
        return MotifsResult.ToPayload(counter.Counts());
    }

    /// <summary>A checkpoint: the bytes of the sequence read (Int64, little-endian), then the counter's state.</summary>
    private static byte[] Checkpoint(MotifCounter counter, long read)
    {
        var state = new byte[sizeof(long) + counter.StateSize];
        BinaryPrimitives.WriteInt64LittleEndian(state, read);
        counter.SaveState(state.AsSpan(sizeof(long)));
        return state;
    }

    /// <summary>
    /// Restores the counter from the checkpoint and moves the sequence past what it had read; 0 (the counter and the
    /// sequence as they are) when there is no checkpoint these motifs and this sequence could have saved.
    /// </summary>
    private static long Resume(ReadOnlyMemory<byte>? checkpoint, MotifCounter counter, Stream sequence, long? length)
    {
        if (checkpoint is not { Length: > sizeof(long) } state || length is not { } total)
        {
            return 0;
        }
        var read = BinaryPrimitives.ReadInt64LittleEndian(state.Span);
        if (read <= 0 || read >= total || !counter.TryRestoreState(state.Span[sizeof(long)..]))
        {
            return 0;
        }
        sequence.Seek(read, SeekOrigin.Begin);
        return read;
    }
}

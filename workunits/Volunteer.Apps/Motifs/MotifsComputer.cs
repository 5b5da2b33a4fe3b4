using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>Counts one unit's motifs in the job's sequence, read once from the agent's verified copy of the blob.</summary>
/// <remarks>
/// No checkpoints: a unit is one pass over the sequence (about a quarter of a second per 64 MiB), shorter than saving
/// and restoring the automaton's state would be worth.
/// </remarks>
internal sealed class MotifsComputer : IUnitComputer
{
    private const int ReadBytes = 1024 * 1024;

    public async Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var unit = MotifsUnit.Parse(input.Json);
        var counter = new MotifCounter(unit.Motifs);

        var sequence = context.OpenBlob(unit.Sequence);
        await using (sequence.ConfigureAwait(false))
        {
            long? length = sequence.CanSeek ? sequence.Length : null;
            var buffer = new byte[ReadBytes];
            long read = 0;
            int n;
            while ((n = await sequence.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                counter.Add(buffer.AsSpan(0, n));
                read += n;
                if (length is > 0)
                {
                    context.ReportProgress(Math.Min(1.0, (double)read / length.Value));
                }
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
}

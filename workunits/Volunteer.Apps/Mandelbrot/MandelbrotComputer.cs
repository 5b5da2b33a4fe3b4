using System.Buffers.Binary;
using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>Renders one tile on a volunteer's machine: its RGB pixels, row by row.</summary>
/// <remarks>
/// The usual tile (256² at a thousand iterations) is a fraction of a second, but the largest (1024² pixels at 100,000
/// iterations) is minutes of work, so the tile is rendered in stretches of bounded work, reporting progress after each
/// (where the agent pauses and throttles it), and checkpoints the pixels done when the agent says it is time: every
/// checkpoint interval, and as the unit is stopped. Pixels are IEEE doubles computed alike everywhere, so a resumed tile
/// is byte for byte the tile rendered at one go.
/// </remarks>
internal sealed class MandelbrotComputer : IUnitComputer
{
    /// <summary>The iterations a stretch may take at most, some milliseconds of work, a stretch being at least one pixel.</summary>
    private const int IterationsPerStretch = 4_000_000;

    /// <inheritdoc/>
    /// <remarks>The tile's pixels twice: as rendered, and as copied into a checkpoint.</remarks>
    public long? MemoryNeed(UnitInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return 2L * MandelbrotTile.Parse(input.Json).PayloadLength;
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
        var tile = MandelbrotTile.Parse(input.Json);
        var rgb = new byte[tile.PayloadLength];
        var pixels = tile.W * tile.H;
        var done = Resume(context.Checkpoint, rgb);
        if (done > 0)
        {
            context.ReportProgress((double)done / pixels);
        }
        var stretch = Math.Max(1, IterationsPerStretch / tile.View.MaxIterations);
        while (done < pixels)
        {
            var (row, column) = Math.DivRem(done, tile.W);
            var count = Math.Min(stretch, tile.W - column);
            tile.View.RenderRow(tile.Y + row, tile.X + column, count, rgb.AsSpan(done * 3, count * 3));
            done += count;
            var fraction = (double)done / pixels;
            context.ReportProgress(fraction);
            // True once the unit is stopped, too: the pixels done so far are saved before the stop below.
            if (done < pixels && context.TimeToCheckpoint)
            {
                await context.SaveCheckpointAsync(Checkpoint(rgb, done), fraction, CancellationToken.None).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        return rgb;
    }

    /// <summary>A checkpoint: the pixels done (Int32, little-endian), then their RGB bytes.</summary>
    private static byte[] Checkpoint(byte[] rgb, int done)
    {
        var state = new byte[4 + (done * 3)];
        BinaryPrimitives.WriteInt32LittleEndian(state, done);
        rgb.AsSpan(0, done * 3).CopyTo(state.AsSpan(4));
        return state;
    }

    /// <summary>Copies the pixels a checkpoint holds into <paramref name="rgb"/>; 0 when there is none this tile could have saved.</summary>
    private static int Resume(ReadOnlyMemory<byte>? checkpoint, byte[] rgb)
    {
        if (checkpoint is not { Length: >= 4 } state)
        {
            return 0;
        }
        var done = BinaryPrimitives.ReadInt32LittleEndian(state.Span);
        if (done <= 0 || done * 3L >= rgb.Length || state.Length != 4 + (done * 3))
        {
            return 0;
        }
        state.Span[4..].CopyTo(rgb);
        return done;
    }
}

using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>Renders one tile on a volunteer's machine: its RGB pixels, row by row.</summary>
/// <remarks>
/// No checkpoints: the largest tile (1024² pixels at 100,000 iterations) is minutes of work at worst, and the usual
/// one (256² at a thousand) a fraction of a second, so starting over costs less than saving megabytes of rows.
/// </remarks>
internal sealed class MandelbrotComputer : IUnitComputer
{
    public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var tile = MandelbrotTile.Parse(input.Json);
        var rgb = new byte[tile.PayloadLength];
        var rowBytes = tile.W * 3;
        for (var row = 0; row < tile.H; row++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tile.View.RenderRow(tile.Y + row, tile.X, tile.W, rgb.AsSpan(row * rowBytes, rowBytes));
            context.ReportProgress((double)(row + 1) / tile.H);
        }
        return Task.FromResult(rgb);
    }
}

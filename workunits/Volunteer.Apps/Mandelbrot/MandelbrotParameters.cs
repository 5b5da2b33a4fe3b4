using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// A mandelbrot job, <c>{"centerX": x, "centerY": y, "scale": s, "width": w, "height": h, "maxIterations": n,
/// "tileSize": t}</c> (tileSize optional, 256 by default): the <see cref="MandelbrotView"/> cut into square tiles of
/// t pixels a side, row-major from the top left; the tiles of the last column and row may be narrower.
/// </summary>
internal readonly record struct MandelbrotParameters(MandelbrotView View, int TileSize)
{
    public const int DefaultTileSize = 256;

    public const int MinTileSize = 16;

    /// <summary>A 1024² tile is 3 MiB of RGB, far under the largest result payload.</summary>
    public const int MaxTileSize = 1024;

    /// <summary>
    /// The job's result names every tile's payload digest and is rewritten at each assimilation, so the tile count is
    /// bounded: 4096 is a 16384² image in tiles of 256.
    /// </summary>
    public const int MaxTiles = 4096;

    private static readonly string[] FieldNames = [.. MandelbrotView.FieldNames, "tileSize"];

    public int TilesAcross => TilesAlong(View.Width, TileSize);

    public int TilesDown => TilesAlong(View.Height, TileSize);

    public int TileCount => TilesAcross * TilesDown;

    public static MandelbrotParameters Parse(JsonElement parameters)
    {
        var fields = new JsonElement[FieldNames.Length];
        var view = default(MandelbrotView);
        var problem = JsonFields.TryRead(parameters, FieldNames, FieldNames.Length - 1, fields)
            ?? MandelbrotView.TryRead(fields, out view);
        var tileSize = fields[^1].ValueKind == JsonValueKind.Undefined
            ? DefaultTileSize
            : JsonFields.Int32(fields[^1], "tileSize", MinTileSize, MaxTileSize, ref problem);
        if (problem is not null)
        {
            throw new InvalidJobParametersException($"Invalid mandelbrot parameters: {problem}.");
        }

        var job = new MandelbrotParameters(view, tileSize);
        if (job.TileCount > MaxTiles)
        {
            var smallest = tileSize;
            while (TilesAlong(view.Width, smallest) * TilesAlong(view.Height, smallest) > MaxTiles)
            {
                smallest++;
            }
            throw new InvalidJobParametersException(
                $"Invalid mandelbrot parameters: a {view.Width}×{view.Height} image in tiles of {tileSize} has {job.TileCount} tiles, more than {MaxTiles}; use a tileSize of at least {smallest}.");
        }
        return job;
    }

    /// <summary>Tile <paramref name="index"/>, counted row-major from the top left.</summary>
    public MandelbrotTile TileAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, TileCount);
        var x = (int)(index % TilesAcross) * TileSize;
        var y = (int)(index / TilesAcross) * TileSize;
        return new MandelbrotTile(View, x, y, Math.Min(TileSize, View.Width - x), Math.Min(TileSize, View.Height - y));
    }

    private static int TilesAlong(int side, int tileSize) => (side + tileSize - 1) / tileSize;
}

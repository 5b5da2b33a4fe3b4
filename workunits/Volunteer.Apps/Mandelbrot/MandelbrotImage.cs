using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// The job's result file: the PNG image (8-bit RGB) assembled from the canonical tile payloads, one band of tiles at a
/// time, so that the coordinator holds one band and one row, never the image. A tile whose unit failed (a completed job
/// lists its failed units) is drawn mid-gray, which the palette never produces, so the hole shows and the rest stands.
/// </summary>
internal sealed class MandelbrotImage : IResultFile
{
    public const byte MissingTileGray = 128;

    public string ContentType => "image/png";

    /// <summary>The distinct tile digests: tiles of one flat color (deep inside the set, say) share a payload.</summary>
    public IReadOnlyList<string> PayloadsOf(string accumulated) =>
        MandelbrotResult.Parse(accumulated).Tiles.OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    public async Task WriteAsync(
        JsonElement parameters, string accumulated, Func<string, CancellationToken, Task<byte[]>> payload, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(output);
        var job = MandelbrotParameters.Parse(parameters);
        var result = MandelbrotResult.Parse(accumulated);
        if (result.Width != job.View.Width || result.Height != job.View.Height || result.TileSize != job.TileSize
            || result.Tiles.Length != job.TileCount)
        {
            throw new InvalidDataException("The mandelbrot job result does not describe the image its parameters ask for.");
        }

        var png = await PngWriter.StartAsync(output, job.View.Width, job.View.Height, cancellationToken).ConfigureAwait(false);
        await using (png.ConfigureAwait(false))
        {
            var row = new byte[job.View.Width * 3];
            for (var band = 0; band < job.TilesDown; band++)
            {
                var tiles = await BandAsync(job, result, band, payload, cancellationToken).ConfigureAwait(false);
                var bandHeight = tiles[0].Tile.H;
                for (var y = 0; y < bandHeight; y++)
                {
                    foreach (var (tile, pixels) in tiles)
                    {
                        var target = row.AsSpan(tile.X * 3, tile.W * 3);
                        if (pixels is null)
                        {
                            target.Fill(MissingTileGray);
                        }
                        else
                        {
                            pixels.AsSpan(y * tile.W * 3, tile.W * 3).CopyTo(target);
                        }
                    }
                    await png.WriteRowAsync(row, cancellationToken).ConfigureAwait(false);
                }
            }
            await png.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The tiles of one band with their pixels (null for a tile never assimilated), each payload read once and checked.</summary>
    private static async Task<(MandelbrotTile Tile, byte[]? Pixels)[]> BandAsync(
        MandelbrotParameters job, MandelbrotResult result, int band, Func<string, CancellationToken, Task<byte[]>> payload, CancellationToken cancellationToken)
    {
        var tiles = new (MandelbrotTile, byte[]?)[job.TilesAcross];
        var read = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var column = 0; column < job.TilesAcross; column++)
        {
            var index = (band * job.TilesAcross) + column;
            var tile = job.TileAt(index);
            byte[]? pixels = null;
            if (result.Tiles[index] is { } digest)
            {
                if (!read.TryGetValue(digest, out pixels))
                {
                    pixels = await payload(digest, cancellationToken).ConfigureAwait(false);
                    // The store verified what it kept; checking again here keeps a mix-up from painting a wrong tile.
                    if (ContentDigest.Of(pixels) != digest)
                    {
                        throw new InvalidDataException($"The payload read for tile {index} is not {digest}.");
                    }
                    read[digest] = pixels;
                }
                if (pixels.Length != tile.PayloadLength)
                {
                    throw new InvalidDataException($"The payload of tile {index} is {pixels.Length} bytes, not the {tile.PayloadLength} of a {tile.W}×{tile.H} tile.");
                }
            }
            tiles[column] = (tile, pixels);
        }
        return tiles;
    }
}

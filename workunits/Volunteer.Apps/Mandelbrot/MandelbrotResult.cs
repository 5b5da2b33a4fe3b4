using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// The job's accumulated result, <c>{"width": w, "height": h, "tileSize": t, "tiles": [d0, d1, ...]}</c>: per tile
/// index (row-major), the digest of its canonical payload, or null while the tile is not assimilated (and for good
/// if its unit failed). The image itself is built from those payloads once the job has completed.
/// </summary>
internal sealed record MandelbrotResult(int Width, int Height, int TileSize, string?[] Tiles)
{
    public static MandelbrotResult Empty(MandelbrotParameters job) =>
        new(job.View.Width, job.View.Height, job.TileSize, new string?[job.TileCount]);

    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("width", Width);
            writer.WriteNumber("height", Height);
            writer.WriteNumber("tileSize", TileSize);
            writer.WriteStartArray("tiles");
            foreach (var tile in Tiles)
            {
                if (tile is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(tile);
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a result this app wrote; the coordinator keeps it, so anything else is a bug or a damaged store.</summary>
    public static MandelbrotResult Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var tiles = root.GetProperty("tiles").EnumerateArray()
                .Select(tile => tile.ValueKind == JsonValueKind.Null ? null : Checked(tile.GetString()))
                .ToArray();
            return new MandelbrotResult(
                root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32(), root.GetProperty("tileSize").GetInt32(), tiles);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException("The mandelbrot job result is not one this app wrote.", e);
        }
    }

    private static string Checked(string? digest) =>
        Sdk.ContentDigest.IsWellFormed(digest) ? digest! : throw new FormatException($"'{digest}' is not a content digest.");
}

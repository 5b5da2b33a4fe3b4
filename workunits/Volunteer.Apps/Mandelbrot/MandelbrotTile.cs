using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// One unit's input: the view and the tile's place in it, <c>{..view.., "x", "y", "w", "h"}</c> in pixels from the top
/// left. Its result is the tile's pixels, row by row, three bytes (R, G, B) each: <see cref="PayloadLength"/> bytes.
/// </summary>
internal readonly record struct MandelbrotTile(MandelbrotView View, int X, int Y, int W, int H)
{
    private static readonly string[] FieldNames = [.. MandelbrotView.FieldNames, "x", "y", "w", "h"];

    public int PayloadLength => W * H * 3;

    /// <summary>Doubles are written in their shortest round-trip form, so the volunteer renders exactly the job's view.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            View.Write(writer);
            writer.WriteNumber("x", X);
            writer.WriteNumber("y", Y);
            writer.WriteNumber("w", W);
            writer.WriteNumber("h", H);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Parses a unit as the splitter wrote it. Units come over the network, so the worker checks them as carefully as
    /// the coordinator checked the job: a tile must lie inside its image and be no larger than a tile can be.
    /// </summary>
    public static MandelbrotTile Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string? problem;
        var view = default(MandelbrotView);
        var fields = new JsonElement[FieldNames.Length];
        int x = 0, y = 0, w = 0, h = 0;
        try
        {
            using var document = JsonDocument.Parse(json);
            problem = JsonFields.TryRead(document.RootElement, FieldNames, FieldNames.Length, fields)
                ?? MandelbrotView.TryRead(fields, out view);
            if (problem is null)
            {
                x = JsonFields.Int32(fields[6], "x", 0, view.Width - 1, ref problem);
                y = JsonFields.Int32(fields[7], "y", 0, view.Height - 1, ref problem);
                w = JsonFields.Int32(fields[8], "w", 1, Math.Min(MandelbrotParameters.MaxTileSize, view.Width - x), ref problem);
                h = JsonFields.Int32(fields[9], "h", 1, Math.Min(MandelbrotParameters.MaxTileSize, view.Height - y), ref problem);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The mandelbrot unit input is not valid JSON.", e);
        }
        if (problem is not null)
        {
            throw new InvalidDataException($"Invalid mandelbrot unit input: {problem}.");
        }
        return new MandelbrotTile(view, x, y, w, h);
    }
}

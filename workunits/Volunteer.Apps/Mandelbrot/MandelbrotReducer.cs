using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// Assimilates a tile by recording its payload's digest at its index in the job's <see cref="MandelbrotResult"/>; the
/// payload itself the coordinator keeps as a blob until <see cref="MandelbrotImage"/> turns the tiles into the PNG.
/// </summary>
internal sealed class MandelbrotReducer : IResultReducer, IResultValidator
{
    /// <summary>A tile's payload is its pixels: anything of another length is a host's error or a lie.</summary>
    public string? Check(UnitInput unit, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var tile = MandelbrotTile.Parse(unit.Json);
        return payload.Length == tile.PayloadLength
            ? null
            : $"A {tile.W}×{tile.H} mandelbrot tile is {tile.PayloadLength} bytes of RGB, not {payload.Length}.";
    }

    public string Seed(JsonElement parameters) => MandelbrotResult.Empty(MandelbrotParameters.Parse(parameters)).ToJson();

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        ArgumentNullException.ThrowIfNull(unit);
        if (Check(unit, canonicalPayload) is { } problem)
        {
            throw new InvalidDataException(problem);
        }
        var result = MandelbrotResult.Parse(accumulated);
        if (unit.Index < 0 || unit.Index >= result.Tiles.Length)
        {
            throw new InvalidDataException($"The image has {result.Tiles.Length} tiles; there is no tile {unit.Index}.");
        }
        if (result.Tiles[unit.Index] is not null)
        {
            throw new InvalidOperationException($"Tile {unit.Index} was assimilated already: a unit is folded once.");
        }
        result.Tiles[unit.Index] = ContentDigest.Of(canonicalPayload);
        return result.ToJson();
    }
}

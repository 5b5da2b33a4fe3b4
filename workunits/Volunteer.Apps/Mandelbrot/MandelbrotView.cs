using System.Text.Json;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// What a mandelbrot image shows: a region of the complex plane <see cref="Scale"/> wide around
/// (<see cref="CenterX"/>, <see cref="CenterY"/>), as <see cref="Width"/> × <see cref="Height"/> square pixels, each
/// colored by how many iterations of z ← z² + c its center takes to escape, up to <see cref="MaxIterations"/>.
/// </summary>
/// <remarks>
/// Every pixel is computed from its own position in the whole image, never from a neighbour's, in plain IEEE double
/// arithmetic (which .NET evaluates identically on every platform), so a tile rendered by any volunteer is bit for bit
/// the same part of the image rendered in one process.
/// </remarks>
internal readonly record struct MandelbrotView(double CenterX, double CenterY, double Scale, int Width, int Height, int MaxIterations)
{
    /// <summary>The largest image side: 16384² pixels is already 768 MiB of RGB.</summary>
    public const int MaxSide = 16384;

    /// <summary>A pixel's bound on work; the unit's credit grows with it.</summary>
    public const int MaxIterationLimit = 100_000;

    /// <summary>Far enough out that any region of interest (the set lies within 2 of the origin) is inside.</summary>
    public const double MaxCoordinate = 1e6;

    /// <summary>No narrower region: a pixel size that underflows would put every pixel at one point.</summary>
    public const double MinScale = 1e-300;

    public static readonly string[] FieldNames = ["centerX", "centerY", "scale", "width", "height", "maxIterations"];

    /// <summary>The width and height of one pixel in the complex plane.</summary>
    public double PixelSize => Scale / Width;

    /// <summary>Reads the view from the first six of <paramref name="fields"/> (in <see cref="FieldNames"/> order); null when valid, otherwise why not.</summary>
    public static string? TryRead(ReadOnlySpan<JsonElement> fields, out MandelbrotView view)
    {
        string? problem = null;
        var centerX = JsonFields.FiniteDouble(fields[0], "centerX", ref problem);
        var centerY = JsonFields.FiniteDouble(fields[1], "centerY", ref problem);
        var scale = JsonFields.FiniteDouble(fields[2], "scale", ref problem);
        var width = JsonFields.Int32(fields[3], "width", 1, MaxSide, ref problem);
        var height = JsonFields.Int32(fields[4], "height", 1, MaxSide, ref problem);
        var maxIterations = JsonFields.Int32(fields[5], "maxIterations", 1, MaxIterationLimit, ref problem);
        if (problem is null && (Math.Abs(centerX) > MaxCoordinate || Math.Abs(centerY) > MaxCoordinate))
        {
            problem = $"centerX and centerY must be between -{MaxCoordinate:0} and {MaxCoordinate:0}";
        }
        if (problem is null && scale is < MinScale or > MaxCoordinate)
        {
            problem = $"scale (the width of the region in the complex plane) must be from {MinScale:0e0} to {MaxCoordinate:0}";
        }
        view = problem is null ? new MandelbrotView(centerX, centerY, scale, width, height, maxIterations) : default;
        return problem;
    }

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteNumber("centerX", CenterX);
        writer.WriteNumber("centerY", CenterY);
        writer.WriteNumber("scale", Scale);
        writer.WriteNumber("width", Width);
        writer.WriteNumber("height", Height);
        writer.WriteNumber("maxIterations", MaxIterations);
    }

    /// <summary>Renders <paramref name="count"/> pixels of row <paramref name="y"/> from column <paramref name="x"/> as RGB into <paramref name="rgb"/>.</summary>
    public void RenderRow(int y, int x, int count, Span<byte> rgb)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rgb.Length, count * 3, nameof(rgb));
        var pixelSize = PixelSize;
        var ci = CenterY - ((y + 0.5 - (Height * 0.5)) * pixelSize);
        for (var i = 0; i < count; i++)
        {
            var cr = CenterX + ((x + i + 0.5 - (Width * 0.5)) * pixelSize);
            MandelbrotPalette.Color(EscapeTime(cr, ci), MaxIterations, rgb.Slice(i * 3, 3));
        }
    }

    /// <summary>The iterations z ← z² + c takes, from z = 0, to leave the disc of radius 2; MaxIterations if it never does.</summary>
    private int EscapeTime(double cr, double ci)
    {
        // The main cardioid and the period-2 bulb, most of the set's area, never escape: known without iterating.
        var xq = cr - 0.25;
        var q = (xq * xq) + (ci * ci);
        if (q * (q + xq) <= 0.25 * ci * ci || ((cr + 1) * (cr + 1)) + (ci * ci) <= 0.0625)
        {
            return MaxIterations;
        }

        double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
        var n = 0;
        while (n < MaxIterations && zr2 + zi2 <= 4.0)
        {
            zi = (2.0 * zr * zi) + ci;
            zr = zr2 - zi2 + cr;
            zr2 = zr * zr;
            zi2 = zi * zi;
            n++;
        }
        return n;
    }
}

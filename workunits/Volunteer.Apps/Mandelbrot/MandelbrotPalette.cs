namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// The fixed colors of a mandelbrot image: a point that never escapes is black; one that escapes after n iterations
/// takes entry n mod 256 of a cyclic gradient through deep blue, sky blue, white, orange and near-black. Integer
/// arithmetic only, so every volunteer colors an iteration count the same.
/// </summary>
internal static class MandelbrotPalette
{
    public const int Size = 256;

    private static readonly byte[] Gradient = BuildGradient();

    /// <summary>Writes the RGB color of a pixel whose point took <paramref name="iterations"/> to escape (or did not).</summary>
    public static void Color(int iterations, int maxIterations, Span<byte> rgb)
    {
        if (iterations >= maxIterations)
        {
            rgb[0] = rgb[1] = rgb[2] = 0;
            return;
        }
        Gradient.AsSpan((iterations % Size) * 3, 3).CopyTo(rgb);
    }

    private static byte[] BuildGradient()
    {
        // Key colors at equal spacing; the last blends back into the first, so the cycle has no seam.
        ReadOnlySpan<byte> keys = [0, 7, 100, 32, 107, 203, 237, 255, 255, 255, 170, 0, 0, 2, 0, 0, 7, 100];
        const int segments = 5;
        var gradient = new byte[Size * 3];
        for (var i = 0; i < Size; i++)
        {
            // Five segments over 256 entries: segment s covers [s * 256 / 5, (s + 1) * 256 / 5).
            var segment = i * segments / Size;
            var start = segment * Size / segments;
            var length = ((segment + 1) * Size / segments) - start;
            for (var channel = 0; channel < 3; channel++)
            {
                int from = keys[(segment * 3) + channel];
                int to = keys[((segment + 1) * 3) + channel];
                gradient[(i * 3) + channel] = (byte)(from + ((to - from) * (i - start) / length));
            }
        }
        return gradient;
    }
}

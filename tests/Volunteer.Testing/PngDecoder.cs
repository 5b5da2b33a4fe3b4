using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Xunit;

namespace Volunteer.Testing;

/// <summary>
/// Just enough of a PNG reader to check the mandelbrot app's images against a render, written apart from the app's
/// writer: chunks are walked and every CRC checked (bit by bit, not table-driven), the header must say 8-bit RGB, the
/// IDAT chunks are joined and inflated, and each row's filter byte must be 0 (none), the only one the app writes.
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static (int Width, int Height, byte[] Rgb) Decode(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith(Signature), "The file does not start with the PNG signature.");
        var offset = Signature.Length;
        var chunks = new List<(string Type, byte[] Data)>();
        while (offset < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var typeAndData = png.AsSpan(offset + 4, 4 + length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            var type = Encoding.ASCII.GetString(typeAndData[..4]);
            Assert.True(Crc32(typeAndData) == crc, $"The CRC of chunk {chunks.Count} ({type}) does not match.");
            chunks.Add((type, typeAndData[4..].ToArray()));
            offset += 12 + length;
        }

        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.Empty(chunks[^1].Data);
        Assert.All(chunks.Skip(1).SkipLast(1), chunk => Assert.Equal("IDAT", chunk.Type));
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        var width = BinaryPrimitives.ReadInt32BigEndian(header);
        var height = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        Assert.Equal([8, 2, 0, 0, 0], header[8..]); // 8 bits, RGB, deflate, standard filters, no interlace

        using var compressed = new MemoryStream(chunks.Skip(1).SkipLast(1).SelectMany(chunk => chunk.Data).ToArray());
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
        using var filtered = new MemoryStream();
        zlib.CopyTo(filtered);
        var rowBytes = (width * 3) + 1;
        Assert.Equal((long)rowBytes * height, filtered.Length);

        var rgb = new byte[width * height * 3];
        var bytes = filtered.GetBuffer();
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * rowBytes]);
            bytes.AsSpan((y * rowBytes) + 1, width * 3).CopyTo(rgb.AsSpan(y * width * 3));
        }
        return (width, height, rgb);
    }

    /// <summary>CRC-32 (ISO-HDLC), one bit at a time.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }
        return ~crc;
    }
}

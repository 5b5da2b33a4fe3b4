using System.Buffers.Binary;
using System.IO.Compression;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// Writes an 8-bit RGB PNG (color type 2, no interlace) a row at a time: the rows are deflated as they come and
/// written out in IDAT chunks of <see cref="IdatChunkBytes"/>, so an image is never held whole, raw or compressed.
/// </summary>
/// <remarks>Every row is written with filter type 0 (none): the images are tiles of flat color bands, which deflate well as they are.</remarks>
internal sealed class PngWriter : IAsyncDisposable
{
    private const int IdatChunkBytes = 64 * 1024;

    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private static readonly byte[] FilterNone = [0];

    private readonly Stream _output;
    private readonly int _width;
    private readonly int _height;
    private readonly MemoryStream _deflated = new();
    private readonly ZLibStream _zlib;
    private int _rows;

    private PngWriter(Stream output, int width, int height)
    {
        _output = output;
        _width = width;
        _height = height;
        _zlib = new ZLibStream(_deflated, CompressionLevel.Optimal, leaveOpen: true);
    }

    /// <summary>Writes the signature and the header of a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    public static async Task<PngWriter> StartAsync(Stream output, int width, int height, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        await output.WriteAsync(Signature, cancellationToken).ConfigureAwait(false);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // color type: RGB
        // Compression method, filter method and interlace method: 0 (deflate, adaptive filters, none).
        await WriteChunkAsync(output, "IHDR"u8.ToArray(), header, cancellationToken).ConfigureAwait(false);
        return new PngWriter(output, width, height);
    }

    /// <summary>Adds the next row, <c>width * 3</c> bytes of R, G, B.</summary>
    public async Task WriteRowAsync(ReadOnlyMemory<byte> rgb, CancellationToken cancellationToken)
    {
        if (rgb.Length != _width * 3)
        {
            throw new ArgumentException($"A row of a {_width}-pixel-wide RGB image is {_width * 3} bytes, not {rgb.Length}.", nameof(rgb));
        }
        if (_rows == _height)
        {
            throw new InvalidOperationException($"The image has only {_height} rows.");
        }
        _zlib.Write(FilterNone);
        _zlib.Write(rgb.Span);
        _rows++;
        if (_deflated.Length >= IdatChunkBytes)
        {
            await FlushDeflatedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the compressed stream and the image; every row must have been written.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (_rows != _height)
        {
            throw new InvalidOperationException($"The image has {_height} rows; {_rows} were written.");
        }
        await _zlib.DisposeAsync().ConfigureAwait(false);
        await FlushDeflatedAsync(cancellationToken).ConfigureAwait(false);
        await WriteChunkAsync(_output, "IEND"u8.ToArray(), ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _zlib.DisposeAsync().ConfigureAwait(false);
        await _deflated.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushDeflatedAsync(CancellationToken cancellationToken)
    {
        if (_deflated.Length == 0)
        {
            return;
        }
        await WriteChunkAsync(_output, "IDAT"u8.ToArray(), _deflated.GetBuffer().AsMemory(0, (int)_deflated.Length), cancellationToken).ConfigureAwait(false);
        _deflated.SetLength(0);
    }

    /// <summary>A chunk: its data's length (big-endian), its type, its data, and the CRC-32 of type and data.</summary>
    private static async Task WriteChunkAsync(Stream output, byte[] type, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(prefix, data.Length);
        type.CopyTo(prefix, 4);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Append(Crc32.Append(Crc32.Initial, type), data.Span) ^ Crc32.Initial);
        await output.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(crc, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CRC-32 of PNG (and zip, and Ethernet): reflected polynomial 0xEDB88320, table-driven a byte at a time.</summary>
    private static class Crc32
    {
        public const uint Initial = 0xFFFFFFFF;

        private static readonly uint[] Table = BuildTable();

        /// <summary>Runs the register over <paramref name="bytes"/>; start from <see cref="Initial"/> and XOR the end with it.</summary>
        public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }
            return crc;
        }

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                }
                table[n] = c;
            }
            return table;
        }
    }
}

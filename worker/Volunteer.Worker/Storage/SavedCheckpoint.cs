using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Volunteer.Worker.Storage;

/// <summary>
/// A unit's checkpoint as the agent keeps it on disk: the app's state, the fraction of the unit it stands for, and when
/// it was written, in one file so that the three always belong together.
/// </summary>
/// <remarks>
/// The file is <c>"VCK1"</c>, the fraction (IEEE double), the time written (Unix milliseconds, Int64), a SHA-256 of
/// those two and the state, then the state; numbers little-endian. The file is replaced atomically, and the hash makes
/// sure that a file damaged anyway (a disk that lost a write it acknowledged) or of an older format is never resumed
/// from: it reads as no checkpoint, and the unit starts over, which is always correct.
/// </remarks>
public sealed record SavedCheckpoint(ReadOnlyMemory<byte> State, double FractionDone, DateTimeOffset WrittenAt)
{
    private const int HashAt = 20;
    private const int HeaderSize = HashAt + SHA256.HashSizeInBytes;

    private static ReadOnlySpan<byte> Magic => "VCK1"u8;

    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + State.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(4), FractionDone);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), WrittenAt.ToUnixTimeMilliseconds());
        State.Span.CopyTo(bytes.AsSpan(HeaderSize));
        HashOf(bytes, bytes.AsSpan(HashAt, SHA256.HashSizeInBytes));
        return bytes;
    }

    /// <summary>The checkpoint in <paramref name="bytes"/>; null unless it is whole, of this format and consistent.</summary>
    public static SavedCheckpoint? TryRead(byte[] bytes)
    {
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
        {
            return null;
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(bytes, hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, bytes.AsSpan(HashAt, SHA256.HashSizeInBytes)))
        {
            return null;
        }
        var fraction = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(4));
        var writtenAt = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        if (!double.IsFinite(fraction) || fraction is < 0 or > 1
            || writtenAt < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || writtenAt > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }
        return new SavedCheckpoint(bytes.AsMemory(HeaderSize), fraction, DateTimeOffset.FromUnixTimeMilliseconds(writtenAt));
    }

    /// <summary>The hash of everything in the file but the hash itself.</summary>
    private static void HashOf(byte[] file, Span<byte> hash)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(file, 4, HashAt - 4);
        sha.AppendData(file, HeaderSize, file.Length - HeaderSize);
        sha.GetHashAndReset(hash);
    }
}

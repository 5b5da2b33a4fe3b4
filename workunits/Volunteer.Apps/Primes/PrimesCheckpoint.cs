using System.Buffers.Binary;

namespace Volunteer.Apps.Primes;

/// <summary>
/// Where an interrupted unit stands: the primes in [unit.From, NextPosition) number CountSoFar.
/// Stored as 16 bytes, two little-endian Int64s, so the format does not depend on the machine.
/// </summary>
internal readonly record struct PrimesCheckpoint(long NextPosition, long CountSoFar)
{
    public const int Size = 16;

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, NextPosition);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), CountSoFar);
        return bytes;
    }

    /// <summary>
    /// Reads a checkpoint saved for <paramref name="unit"/>. Anything that cannot belong to this unit
    /// (wrong size, position outside it, more primes than numbers) gives null: the unit then simply
    /// starts over, which is always correct.
    /// </summary>
    public static PrimesCheckpoint? TryRead(ReadOnlyMemory<byte>? state, PrimesUnit unit)
    {
        if (state is not { Length: Size } bytes)
        {
            return null;
        }
        var next = BinaryPrimitives.ReadInt64LittleEndian(bytes.Span);
        var count = BinaryPrimitives.ReadInt64LittleEndian(bytes.Span[8..]);
        if (next < unit.From || next > unit.To || count < 0 || count > next - unit.From)
        {
            return null;
        }
        return new PrimesCheckpoint(next, count);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Volunteer.Apps.Motifs;

/// <summary>A unit's result payload, <c>{"counts":[n0,n1,...]}</c>: the occurrences of its motifs, in the unit's order.</summary>
internal static class MotifsResult
{
    /// <summary>One fixed spelling, so honest workers that count the same produce identical bytes and digests.</summary>
    public static byte[] ToPayload(IEnumerable<long> counts) =>
        Encoding.UTF8.GetBytes($$"""{"counts":[{{string.Join(',', counts.Select(count => count.ToString(CultureInfo.InvariantCulture)))}}]}""");

    /// <summary>The counts of a payload for <paramref name="unit"/>, checked against what the unit could hold.</summary>
    public static long[] Parse(ReadOnlySpan<byte> payload, MotifsUnit unit)
    {
        long[] counts;
        try
        {
            // The copy is small (a count per motif); JsonDocument.Parse also rejects anything after the value.
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1
                || !root.TryGetProperty("counts", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("A motifs result is {\"counts\": [...]}, with no other field.");
            }
            counts = [.. list.EnumerateArray().Select(count =>
                count.ValueKind == JsonValueKind.Number && count.TryGetInt64(out var n) && n >= 0
                    ? n
                    : throw new InvalidDataException("Every count of a motifs result is an integer of 0 or more."))];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The motifs result is not valid JSON.", e);
        }

        if (counts.Length != unit.Motifs.Count)
        {
            throw new InvalidDataException($"The unit counts {unit.Motifs.Count} motifs; the result has {counts.Length} counts.");
        }
        if (unit.SequenceBytes is { } bytes)
        {
            for (var i = 0; i < counts.Length; i++)
            {
                // An occurrence starts at a letter that leaves room for the whole motif.
                if (counts[i] > Math.Max(0, bytes - unit.Motifs[i].Length + 1))
                {
                    throw new InvalidDataException(
                        $"The result counts {counts[i]} occurrences of {unit.Motifs[i]}, more than a sequence of {bytes} bytes can hold.");
                }
            }
        }
        return counts;
    }
}

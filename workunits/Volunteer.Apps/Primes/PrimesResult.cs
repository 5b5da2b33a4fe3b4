using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Volunteer.Apps.Primes;

/// <summary>
/// The result format, <c>{"primeCount":N}</c>, for a unit's payload and for the job's result alike.
/// </summary>
internal static class PrimesResult
{
    private static readonly string[] FieldNames = ["primeCount"];

    /// <summary>One fixed spelling, so honest workers that count the same produce identical bytes and digests.</summary>
    public static string ToJson(long primeCount) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"primeCount":{{primeCount}}}""");

    public static byte[] ToPayload(long primeCount) => Encoding.UTF8.GetBytes(ToJson(primeCount));

    public static long Parse(ReadOnlySpan<byte> utf8Json, string what)
    {
        Span<long> values = stackalloc long[FieldNames.Length];
        string? problem;
        try
        {
            // The copy is a few bytes; JsonDocument.Parse also rejects anything after the value.
            using var document = JsonDocument.Parse(utf8Json.ToArray());
            problem = IntegerFieldsJson.TryReadInt64Fields(document.RootElement, FieldNames, values);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The primes {what} is not valid JSON.", e);
        }
        if (problem is not null)
        {
            throw new InvalidDataException($"Invalid primes {what}: {problem}.");
        }
        if (values[0] < 0)
        {
            throw new InvalidDataException($"The primes {what} has a negative primeCount.");
        }
        return values[0];
    }
}

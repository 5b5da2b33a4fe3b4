using System.Text.Json;

namespace Volunteer.Apps;

/// <summary>Reads the flat, all-integer JSON objects of the built-in apps, as strictly as <see cref="JsonFields"/>.</summary>
internal static class IntegerFieldsJson
{
    /// <summary>
    /// Reads exactly the fields <paramref name="names"/> (case-sensitive) as 64-bit integers into
    /// <paramref name="values"/>. Returns null on success, otherwise a message naming the field, to follow a colon.
    /// </summary>
    public static string? TryReadInt64Fields(JsonElement element, ReadOnlySpan<string> names, Span<long> values)
    {
        var fields = new JsonElement[names.Length];
        if (JsonFields.TryRead(element, names, names.Length, fields) is { } problem)
        {
            return problem;
        }
        for (var i = 0; i < names.Length; i++)
        {
            // TryGetInt64 accepts only plain integer literals: 1.5, 1e3 and out-of-range numbers fail.
            if (fields[i].ValueKind != JsonValueKind.Number || !fields[i].TryGetInt64(out values[i]))
            {
                return $"the field {names[i]} must be an integer in the 64-bit range";
            }
        }
        return null;
    }
}

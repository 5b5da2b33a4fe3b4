using System.Text.Json;

namespace Volunteer.Apps;

/// <summary>
/// Reads the flat, all-integer JSON objects the built-in apps exchange. Strict on purpose: a misspelt
/// or extra field is reported rather than silently ignored, so a typo cannot change what is computed.
/// </summary>
internal static class IntegerFieldsJson
{
    /// <summary>
    /// Reads exactly the fields <paramref name="names"/> (case-sensitive) as 64-bit integers into
    /// <paramref name="values"/>. Returns null on success, otherwise a message naming the field, to follow a colon.
    /// </summary>
    public static string? TryReadInt64Fields(JsonElement element, ReadOnlySpan<string> names, Span<long> values)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return $"expected a JSON object with the integer fields {string.Join(", ", names.ToArray())}";
        }

        Span<bool> seen = stackalloc bool[names.Length];
        foreach (var property in element.EnumerateObject())
        {
            var index = names.IndexOf(property.Name);
            if (index < 0)
            {
                return $"unknown field '{property.Name}'; the fields are {string.Join(", ", names.ToArray())} (case-sensitive)";
            }
            if (seen[index])
            {
                return $"the field {property.Name} appears more than once";
            }
            seen[index] = true;

            // TryGetInt64 accepts only plain integer literals: 1.5, 1e3 and out-of-range numbers fail.
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out values[index]))
            {
                return $"the field {property.Name} must be an integer in the 64-bit range";
            }
        }

        for (var i = 0; i < names.Length; i++)
        {
            if (!seen[i])
            {
                return $"the field {names[i]} is missing";
            }
        }
        return null;
    }
}

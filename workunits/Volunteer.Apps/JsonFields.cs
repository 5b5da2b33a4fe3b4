using System.Text.Json;

namespace Volunteer.Apps;

/// <summary>
/// Reads the flat JSON objects the built-in apps exchange. Strict on purpose: a misspelt or extra field is
/// reported rather than silently ignored, so a typo cannot change what is computed.
/// </summary>
internal static class JsonFields
{
    /// <summary>
    /// Finds the fields <paramref name="names"/> (case-sensitive) of <paramref name="element"/>, in that order, into
    /// <paramref name="values"/>. The first <paramref name="required"/> names must be present; an absent optional one is
    /// left <see cref="JsonValueKind.Undefined"/>. Returns null on success, otherwise a message naming the field, to
    /// follow a colon.
    /// </summary>
    public static string? TryRead(JsonElement element, ReadOnlySpan<string> names, int required, Span<JsonElement> values)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return $"expected a JSON object with the fields {string.Join(", ", names.ToArray())}";
        }

        values.Clear();
        foreach (var property in element.EnumerateObject())
        {
            var index = names.IndexOf(property.Name);
            if (index < 0)
            {
                return $"unknown field '{property.Name}'; the fields are {string.Join(", ", names.ToArray())} (case-sensitive)";
            }
            if (values[index].ValueKind != JsonValueKind.Undefined)
            {
                return $"the field {property.Name} appears more than once";
            }
            values[index] = property.Value;
        }

        for (var i = 0; i < required; i++)
        {
            if (values[i].ValueKind == JsonValueKind.Undefined)
            {
                return $"the field {names[i]} is missing";
            }
        }
        return null;
    }

    /// <summary>
    /// An integer in [<paramref name="min"/>, <paramref name="max"/>]. When it is not, and <paramref name="problem"/> is
    /// still null, sets it to what the value must be: a parser reads every field and reports the first problem.
    /// </summary>
    public static int Int32(JsonElement value, string name, int min, int max, ref string? problem)
    {
        // TryGetInt32 accepts only plain integer literals: 1.5, 1e3 and out-of-range numbers fail.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var result) && result >= min && result <= max)
        {
            return result;
        }
        problem ??= $"{name} must be an integer from {min} to {max}";
        return min;
    }

    /// <summary>A finite number (JSON has no NaN or infinity, but 1e400 reads as one); otherwise as <see cref="Int32"/>.</summary>
    public static double FiniteDouble(JsonElement value, string name, ref string? problem)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var result) && double.IsFinite(result))
        {
            return result;
        }
        problem ??= $"{name} must be a finite number";
        return 0;
    }
}

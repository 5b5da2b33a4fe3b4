using System.Text;
using System.Text.Json;

namespace Volunteer.Apps.Wasm;

/// <summary>What a module is given as a unit's input: the one rule, for the workers and the tests alike.</summary>
public static class WasmInput
{
    /// <summary>
    /// The input bytes of a unit whose input (UnitInput.Json) is <paramref name="unitJson"/>: its UTF-8 JSON text, except
    /// for a JSON string, whose content is given (so a unit can carry plain text, a name or a line, without quotes or
    /// escapes for the module to undo). Throws <see cref="JsonException"/> when <paramref name="unitJson"/> is not JSON.
    /// </summary>
    public static byte[] Bytes(string unitJson)
    {
        ArgumentNullException.ThrowIfNull(unitJson);
        var utf8 = Encoding.UTF8.GetBytes(unitJson);
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read())
        {
            throw new JsonException("The unit's input is empty, not JSON.");
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            return utf8;
        }
        var content = reader.GetString()!;
        if (reader.Read())
        {
            throw new JsonException("The unit's input has more after its JSON string.");
        }
        return Encoding.UTF8.GetBytes(content);
    }
}

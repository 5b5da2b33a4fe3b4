using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// How a WebAssembly app's result bytes read in a job's JSON result, and back: the one rule for the ordered list of unit
/// results and for a reducer module's output alike. The rendering reads back to the same bytes, which is how a reducer
/// module's accumulated result (kept by the coordinator as JSON) is turned back into its bytes for the next fold.
/// </summary>
/// <remarks>
/// Tolerance apps: the little-endian float64 array as a JSON array of numbers (shortest round-trip form), with the
/// non-finite values as the strings "NaN", "Infinity" and "-Infinity". Bitwise apps: the bytes themselves when they are
/// one UTF-8 JSON value with nothing around it, nested at most 32 deep, otherwise <c>{"base64": "…"}</c>; a JSON value that would read back
/// otherwise (<c>null</c>, or an object holding only a "base64" string) is given as base64 too.
/// </remarks>
public static class WasmResultJson
{
    private const string Base64Field = "base64";
    private const string NaN = "NaN";
    private const string PositiveInfinity = "Infinity";
    private const string NegativeInfinity = "-Infinity";

    /// <summary>WebAssembly's canonical NaN (positive, quiet), which NaN canonicalisation gives every NaN.</summary>
    private static readonly double CanonicalNaN = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000);

    /// <summary>
    /// The deepest a bitwise payload may nest to be embedded as JSON (deeper: base64). Half the default of 64, so the
    /// ordered list of unit results, one level more, always reads back with the default depth.
    /// </summary>
    public const int MaxEmbeddedDepth = 32;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>The JSON for <paramref name="payload"/>; throws InvalidDataException for a tolerance payload that is not whole float64s.</summary>
    public static string Render(ReadOnlySpan<byte> payload, ComparatorKind kind)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, payload, kind);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the JSON for <paramref name="payload"/> as the next value of <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> payload, ComparatorKind kind)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (kind == ComparatorKind.Tolerance)
        {
            if (Float64Results.Problem(payload) is { } problem)
            {
                throw new InvalidDataException(problem);
            }
            writer.WriteStartArray();
            for (var i = 0; i < payload.Length; i += 8)
            {
                var value = BinaryPrimitives.ReadDoubleLittleEndian(payload[i..]);
                if (double.IsFinite(value))
                {
                    writer.WriteNumberValue(value);
                }
                else
                {
                    writer.WriteStringValue(double.IsNaN(value) ? NaN : value > 0 ? PositiveInfinity : NegativeInfinity);
                }
            }
            writer.WriteEndArray();
            return;
        }

        if (IsPlainJson(payload))
        {
            writer.WriteRawValue(payload, skipInputValidation: true);
            return;
        }
        writer.WriteStartObject();
        writer.WriteBase64String(Base64Field, payload);
        writer.WriteEndObject();
    }

    /// <summary>The bytes whose rendering is <paramref name="json"/>; throws <see cref="JsonException"/> or InvalidDataException for JSON no rendering gives.</summary>
    public static byte[] Parse(string json, ComparatorKind kind)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, kind);
    }

    /// <summary>The bytes whose rendering is <paramref name="element"/>.</summary>
    public static byte[] Parse(JsonElement element, ComparatorKind kind)
    {
        if (kind == ComparatorKind.Tolerance)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("A tolerance app's result reads as a JSON array of numbers.");
            }
            var bytes = new byte[element.GetArrayLength() * 8];
            var at = 0;
            foreach (var item in element.EnumerateArray())
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), Float64Of(item));
                at += 8;
            }
            return bytes;
        }

        if (IsBase64Object(element, out var base64))
        {
            return base64;
        }
        return Encoding.UTF8.GetBytes(element.GetRawText());
    }

    private static double Float64Of(JsonElement item) => item.ValueKind switch
    {
        JsonValueKind.Number when item.TryGetDouble(out var value) && double.IsFinite(value) => value,
        JsonValueKind.String when item.ValueEquals(NaN) => CanonicalNaN,
        JsonValueKind.String when item.ValueEquals(PositiveInfinity) => double.PositiveInfinity,
        JsonValueKind.String when item.ValueEquals(NegativeInfinity) => double.NegativeInfinity,
        _ => throw new InvalidDataException($"{item.GetRawText()} is not a float64 as a result renders one (a number, \"NaN\", \"Infinity\" or \"-Infinity\")."),
    };

    /// <summary>One JSON value, valid UTF-8, nothing around it, and not one that would read back as something else.</summary>
    private static bool IsPlainJson(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || IsJsonWhitespace(payload[0]) || IsJsonWhitespace(payload[^1]))
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxEmbeddedDepth });
            using var document = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != payload.Length)
            {
                return false;
            }
            return document.RootElement.ValueKind != JsonValueKind.Null && !IsBase64Object(document.RootElement, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsBase64Object(JsonElement element, out byte[] bytes)
    {
        bytes = [];
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        var properties = element.EnumerateObject().ToList();
        if (properties is not [{ Name: Base64Field, Value.ValueKind: JsonValueKind.String } property])
        {
            return false;
        }
        if (!property.Value.TryGetBytesFromBase64(out var decoded))
        {
            throw new InvalidDataException("The result's \"base64\" is not base64.");
        }
        bytes = decoded;
        return true;
    }

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}

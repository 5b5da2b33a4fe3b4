using System.Buffers;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// The result of a job of an app without a reducer module: a JSON array, element i unit i's canonical result as
/// <see cref="WasmResultJson"/> renders it, null while (or when, for a failed unit) it has none.
/// </summary>
internal sealed class OrderedListReducer(ComparatorKind kind) : IResultReducer
{
    public string Seed(JsonElement parameters)
    {
        var count = WasmJobParameters.Parse(parameters, hasReducer: false).UnitCount;
        var seed = new StringBuilder((int)(count * 5) + 2).Append('[');
        for (var i = 0; i < count; i++)
        {
            seed.Append(i == 0 ? "null" : ",null");
        }
        return seed.Append(']').ToString();
    }

    /// <summary>Puts the unit's rendered result in its place: the list is spliced, not parsed and written again, so a fold costs one scan.</summary>
    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        ArgumentNullException.ThrowIfNull(unit);
        var list = Encoding.UTF8.GetBytes(accumulated);
        var (start, end) = ElementAt(list, unit.Index);

        var rendered = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(rendered))
        {
            WasmResultJson.Write(writer, canonicalPayload, kind);
        }
        var length = list.Length - (end - start) + rendered.WrittenCount;
        if (length > WasmScienceApp.MaxResultJsonBytes)
        {
            throw TooLarge(length);
        }
        var folded = new byte[length];
        list.AsSpan(0, start).CopyTo(folded);
        rendered.WrittenSpan.CopyTo(folded.AsSpan(start));
        list.AsSpan(end).CopyTo(folded.AsSpan(start + rendered.WrittenCount));
        return Encoding.UTF8.GetString(folded);
    }

    /// <summary>The failure of a fold that would grow the job's result past <see cref="WasmScienceApp.MaxResultJsonBytes"/>.</summary>
    internal static ReducerFailedException TooLarge(long bytes) => new(
        $"The job's result would take {bytes:N0} bytes as JSON, more than the {WasmScienceApp.MaxResultJsonBytes:N0} a job's result may; register the app with a reducer module that folds the unit results into a smaller one.");

    /// <summary>Where element <paramref name="index"/> of the top-level array lies, [start, end) in bytes.</summary>
    private static (int Start, int End) ElementAt(byte[] list, long index)
    {
        var reader = new Utf8JsonReader(list);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("The accumulated result is not the JSON array of unit results.");
        }
        for (var i = 0L; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (i == index)
            {
                return (start, (int)reader.BytesConsumed);
            }
        }
        throw new InvalidDataException($"The accumulated result has no element for unit {index}.");
    }
}

/// <summary>
/// The result of a job of an app with a reducer module: the module's output after folding every valid unit's result
/// into it, in the sandbox, rendered as <see cref="WasmResultJson"/> renders a result (null before the first).
/// </summary>
internal sealed class ReducerModuleReducer(WasmSandbox sandbox, Lazy<WasmModule> reducer, AppLimits limits, ComparatorKind kind) : IResultReducer
{
    private const string NothingYet = "null";

    public string Seed(JsonElement parameters) => NothingYet;

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        var bytes = accumulated == NothingYet ? [] : WasmResultJson.Parse(accumulated, kind);
        // A reducer module that fails is the scientist's bug, not the volunteers': the unit fails, no host is blamed.
        string rendered;
        try
        {
            rendered = WasmResultJson.Render(sandbox.Reduce(reducer.Value, bytes, canonicalPayload, limits), kind);
        }
        catch (WasmUnitException ex)
        {
            throw new ReducerFailedException($"The reducer module failed: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            // Only the module's output can be wrong here: a tolerance app's fold that is not whole float64s.
            throw new ReducerFailedException($"The reducer module's output cannot be the job's result: {ex.Message}");
        }
        var length = Encoding.UTF8.GetByteCount(rendered);
        if (length > WasmScienceApp.MaxResultJsonBytes)
        {
            throw OrderedListReducer.TooLarge(length);
        }
        return rendered;
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>
/// One unit's input, <c>{"sequence": digest, "sequenceBytes": n (when the job states it), "motifs": [...]}</c>: count
/// each of these motifs in the whole sequence.
/// </summary>
internal sealed record MotifsUnit(string Sequence, long? SequenceBytes, IReadOnlyList<string> Motifs)
{
    public const int MaxMotifLength = 64;

    /// <summary>A sequence stated larger than this (1 TiB) is a mistake, whatever the coordinator's blob limit.</summary>
    public const long MaxSequenceBytes = 1L << 40;

    private static readonly string[] FieldNames = ["sequence", "motifs", "sequenceBytes"];

    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("sequence", Sequence);
            if (SequenceBytes is { } bytes)
            {
                writer.WriteNumber("sequenceBytes", bytes);
            }
            writer.WriteStartArray("motifs");
            foreach (var motif in Motifs)
            {
                writer.WriteStringValue(motif);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses a unit as the splitter wrote it; units come over the network, so the worker checks them as the coordinator checked the job.</summary>
    public static MotifsUnit Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var fields = new JsonElement[FieldNames.Length];
            var problem = JsonFields.TryRead(document.RootElement, FieldNames, 2, fields);
            var unit = problem is null ? Read(fields[0], fields[1], fields[2], MotifsParameters.MaxMotifsPerUnit, out problem) : null;
            return unit ?? throw new InvalidDataException($"Invalid motifs unit input: {problem}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The motifs unit input is not valid JSON.", e);
        }
    }

    /// <summary>
    /// Reads the sequence's digest, its stated size (Undefined when not stated) and at most <paramref name="maxMotifs"/>
    /// distinct motifs; on a problem returns null and says what is wrong.
    /// </summary>
    public static MotifsUnit? Read(JsonElement sequence, JsonElement motifList, JsonElement stated, int maxMotifs, out string? problem)
    {
        problem = null;
        if (sequence.ValueKind != JsonValueKind.String || !ContentDigest.IsWellFormed(sequence.GetString()))
        {
            problem = "sequence must name the uploaded sequence by its digest, \"sha256:\" followed by 64 lowercase hex digits";
            return null;
        }
        long? sequenceBytes = null;
        if (stated.ValueKind != JsonValueKind.Undefined)
        {
            if (stated.ValueKind != JsonValueKind.Number || !stated.TryGetInt64(out var bytes) || bytes is < 0 or > MaxSequenceBytes)
            {
                problem = $"sequenceBytes (the size of the sequence blob) must be an integer from 0 to {MaxSequenceBytes}";
                return null;
            }
            sequenceBytes = bytes;
        }
        var count = motifList.ValueKind == JsonValueKind.Array ? motifList.GetArrayLength() : 0;
        if (count < 1 || count > maxMotifs)
        {
            problem = $"motifs must be an array of 1 to {maxMotifs} motifs";
            return null;
        }

        var motifs = new string[count];
        var firstIndex = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var i = 0;
        foreach (var element in motifList.EnumerateArray())
        {
            var motif = element.ValueKind == JsonValueKind.String ? element.GetString()! : null;
            if (motif is null || motif.Length is 0 or > MaxMotifLength || motif.AsSpan().ContainsAnyExcept("ACGT"))
            {
                problem = $"motifs[{i}] ({(motif is null ? $"a JSON {element.ValueKind.ToString().ToLowerInvariant()}" : Quote(motif))}) must be 1 to {MaxMotifLength} of the letters A, C, G and T (upper case)";
                return null;
            }
            // The result counts each motif under its own name: a motif listed twice would have two counts for one key.
            if (!firstIndex.TryAdd(motif, i))
            {
                problem = $"motifs[{i}] ({Quote(motif)}) repeats motifs[{firstIndex[motif]}]: list each motif once";
                return null;
            }
            motifs[i++] = motif;
        }
        return new MotifsUnit(sequence.GetString()!, sequenceBytes, motifs);
    }

    /// <summary>A motif for a message: whole when it could be one, otherwise its start and its length.</summary>
    private static string Quote(string motif) =>
        motif.Length <= MaxMotifLength ? $"'{motif}'" : $"'{motif[..16]}…', {motif.Length} characters";
}

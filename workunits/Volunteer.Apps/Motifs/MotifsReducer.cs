using System.Text.Json;
using System.Text.Json.Nodes;
using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>
/// The job's result, <c>{"counts": {"ACGT": n, ...}}</c>: every motif in the job's order, its count once its unit is
/// assimilated, null until then (and for good if its unit failed, which a completed job lists).
/// </summary>
internal sealed class MotifsReducer : IResultReducer, IResultValidator
{
    /// <summary>The counts must parse, be one per motif of the unit and fit the sequence; anything else is a host's error or a lie.</summary>
    public string? Check(UnitInput unit, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(unit);
        try
        {
            MotifsResult.Parse(payload, MotifsUnit.Parse(unit.Json));
            return null;
        }
        catch (InvalidDataException ex)
        {
            return ex.Message;
        }
    }

    public string Seed(JsonElement parameters)
    {
        var counts = new JsonObject();
        foreach (var motif in MotifsParameters.Parse(parameters).All.Motifs)
        {
            counts[motif] = null;
        }
        return new JsonObject { ["counts"] = counts }.ToJsonString();
    }

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        ArgumentNullException.ThrowIfNull(unit);
        var motifs = MotifsUnit.Parse(unit.Json);
        var counts = MotifsResult.Parse(canonicalPayload, motifs);
        var result = JsonNode.Parse(accumulated) as JsonObject
            ?? throw new InvalidDataException("The motifs job result is not one this app wrote.");
        var byMotif = result["counts"] as JsonObject
            ?? throw new InvalidDataException("The motifs job result is not one this app wrote.");
        for (var i = 0; i < counts.Length; i++)
        {
            if (!byMotif.TryGetPropertyValue(motifs.Motifs[i], out var previous))
            {
                throw new InvalidDataException($"The job has no motif {motifs.Motifs[i]}.");
            }
            if (previous is not null)
            {
                throw new InvalidOperationException($"The motif {motifs.Motifs[i]} was assimilated already: a unit is folded once.");
            }
            byMotif[motifs.Motifs[i]] = counts[i];
        }
        return result.ToJsonString();
    }
}

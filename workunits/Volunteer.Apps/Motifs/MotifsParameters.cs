using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>
/// A motifs job, <c>{"sequence": digest, "motifs": ["ACGT", ...], "motifsPerUnit": k, "sequenceBytes": n}</c>
/// (sequenceBytes optional): count every motif in the uploaded sequence, k motifs per unit; the last unit may have
/// fewer. Every unit reads the whole sequence, so it is the job's one shared input blob.
/// </summary>
internal sealed record MotifsParameters(MotifsUnit All, int MotifsPerUnit)
{
    public const int MaxMotifs = 100_000;

    public const int MaxMotifsPerUnit = 10_000;

    private static readonly string[] FieldNames = ["sequence", "motifs", "motifsPerUnit", "sequenceBytes"];

    public long UnitCount => (All.Motifs.Count + MotifsPerUnit - 1) / MotifsPerUnit;

    public static MotifsParameters Parse(JsonElement parameters)
    {
        var fields = new JsonElement[FieldNames.Length];
        var problem = JsonFields.TryRead(parameters, FieldNames, 3, fields);
        var all = problem is null ? MotifsUnit.Read(fields[0], fields[1], fields[3], MaxMotifs, out problem) : null;
        var motifsPerUnit = problem is null ? JsonFields.Int32(fields[2], "motifsPerUnit", 1, MaxMotifsPerUnit, ref problem) : 0;
        if (problem is not null)
        {
            throw new InvalidJobParametersException($"Invalid motifs parameters: {problem}.");
        }
        return new MotifsParameters(all!, motifsPerUnit);
    }

    /// <summary>Unit <paramref name="index"/>: the motifs from index * MotifsPerUnit, in the job's order.</summary>
    public MotifsUnit UnitAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, UnitCount);
        var first = (int)index * MotifsPerUnit;
        var count = Math.Min(MotifsPerUnit, All.Motifs.Count - first);
        return All with { Motifs = All.Motifs.Skip(first).Take(count).ToArray() };
    }
}

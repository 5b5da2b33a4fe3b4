using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>Cuts [from, to) into consecutive units of unitSize numbers; the last may be shorter.</summary>
internal sealed class PrimesSplitter : IJobSplitter
{
    public JobPlan Plan(JsonElement parameters) => new(PrimesParameters.Parse(parameters).UnitCount);

    public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
    {
        // Checked here rather than inside the iterator so that bad arguments fail at the call, and
        // so that the JsonElement is read before its document can be disposed.
        ArgumentOutOfRangeException.ThrowIfNegative(firstUnitIndex);
        return Units(PrimesParameters.Parse(parameters), firstUnitIndex);
    }

    private static IEnumerable<UnitInput> Units(PrimesParameters job, long firstUnitIndex)
    {
        var count = job.UnitCount;
        for (var index = firstUnitIndex; index < count; index++)
        {
            yield return new UnitInput(index, job.UnitAt(index).ToJson());
        }
    }
}

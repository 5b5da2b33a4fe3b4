using System.Text;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>The job's result is the sum of its units' prime counts, <c>{"primeCount":N}</c>.</summary>
internal sealed class PrimesReducer : IResultReducer
{
    public string Seed(JsonElement parameters) => PrimesResult.ToJson(0);

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        ArgumentNullException.ThrowIfNull(unit);

        var total = PrimesResult.Parse(Encoding.UTF8.GetBytes(accumulated), "accumulated result");
        var count = PrimesResult.Parse(canonicalPayload, "result payload");

        // Even an agreed result cannot hold more primes than the unit has numbers.
        var range = PrimesUnit.Parse(unit.Json);
        if (count > range.Length)
        {
            throw new InvalidDataException(
                $"The primes result payload claims {count} primes in [{range.From}, {range.To}), more than the range holds.");
        }
        return PrimesResult.ToJson(checked(total + count));
    }
}

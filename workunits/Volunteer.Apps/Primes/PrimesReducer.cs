using System.Text;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>The job's result is the sum of its units' prime counts, <c>{"primeCount":N}</c>.</summary>
internal sealed class PrimesReducer : IResultReducer, IResultValidator
{
    /// <summary>A count must parse and fit its range; anything else is a host's error or a lie.</summary>
    public string? Check(UnitInput unit, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(unit);
        try
        {
            CountOf(unit, payload);
            return null;
        }
        catch (InvalidDataException ex)
        {
            return ex.Message;
        }
    }

    public string Seed(JsonElement parameters) => PrimesResult.ToJson(0);

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        ArgumentNullException.ThrowIfNull(accumulated);
        ArgumentNullException.ThrowIfNull(unit);

        var total = PrimesResult.Parse(Encoding.UTF8.GetBytes(accumulated), "accumulated result");
        return PrimesResult.ToJson(checked(total + CountOf(unit, canonicalPayload)));
    }

    private static long CountOf(UnitInput unit, ReadOnlySpan<byte> payload)
    {
        var count = PrimesResult.Parse(payload, "result payload");
        // No result can hold more primes than the unit has numbers.
        var range = PrimesUnit.Parse(unit.Json);
        if (count > range.Length)
        {
            throw new InvalidDataException(
                $"The primes result payload claims {count} primes in [{range.From}, {range.To}), more than the range holds.");
        }
        return count;
    }
}

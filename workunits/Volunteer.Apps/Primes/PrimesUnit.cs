using System.Globalization;
using System.Text.Json;

namespace Volunteer.Apps.Primes;

/// <summary>One unit's input, <c>{"from":a,"to":b}</c>: count the primes in [a, b).</summary>
internal readonly record struct PrimesUnit(long From, long To)
{
    private static readonly string[] FieldNames = ["from", "to"];

    public long Length => To - From;

    public string ToJson() => string.Create(CultureInfo.InvariantCulture, $$"""{"from":{{From}},"to":{{To}}}""");

    /// <summary>
    /// Parses a unit as the splitter wrote it. Units come over the network, so the worker checks
    /// them as carefully as the coordinator checked the job.
    /// </summary>
    public static PrimesUnit Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        Span<long> values = stackalloc long[FieldNames.Length];
        string? problem;
        try
        {
            using var document = JsonDocument.Parse(json);
            problem = IntegerFieldsJson.TryReadInt64Fields(document.RootElement, FieldNames, values);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The primes unit input is not valid JSON.", e);
        }
        if (problem is not null)
        {
            throw new InvalidDataException($"Invalid primes unit input: {problem}.");
        }

        var unit = new PrimesUnit(values[0], values[1]);
        if (unit.From < 0 || unit.To <= unit.From || unit.To > PrimesParameters.MaxTo
            || unit.Length > PrimesParameters.MaxUnitSize)
        {
            throw new InvalidDataException(
                $"The primes unit [{unit.From}, {unit.To}) is not a range a primes job can produce.");
        }
        return unit;
    }
}

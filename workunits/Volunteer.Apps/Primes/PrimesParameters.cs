using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>
/// A primes job, <c>{"from": a, "to": b, "unitSize": s}</c>: count the primes in [a, b) in units of
/// s numbers each (the last unit may be shorter).
/// </summary>
internal readonly record struct PrimesParameters(long From, long To, long UnitSize)
{
    /// <summary>
    /// The largest accepted <c>to</c>, 10^16. Sieving a unit needs every prime up to sqrt(to) in
    /// memory; at 10^16 that is the 5.76 million primes below 10^8 (about 45 MB with their sieve
    /// offsets), which a volunteer's machine can spare, where 10^18 would need ten times as much.
    /// </summary>
    public const long MaxTo = PrimeSieve.MaxTo;

    /// <summary>The largest unit: about a few minutes of single-threaded sieving, so no unit is unbounded work.</summary>
    public const long MaxUnitSize = 100_000_000_000;

    /// <summary>More units than this would only burden the coordinator's bookkeeping.</summary>
    public const long MaxUnitCount = 1_000_000_000;

    private static readonly string[] FieldNames = ["from", "to", "unitSize"];

    /// <summary>ceil((To - From) / UnitSize), computed without the overflow of the usual (n + s - 1) / s.</summary>
    public long UnitCount => UnitCountFor(To - From, UnitSize);

    public static PrimesParameters Parse(JsonElement parameters)
    {
        Span<long> values = stackalloc long[FieldNames.Length];
        if (IntegerFieldsJson.TryReadInt64Fields(parameters, FieldNames, values) is { } problem)
        {
            throw new InvalidJobParametersException($"Invalid primes parameters: {problem}.");
        }

        var (from, to, unitSize) = (values[0], values[1], values[2]);
        if (from < 0)
        {
            throw new InvalidJobParametersException("from must be at least 0.");
        }
        if (to <= from)
        {
            throw new InvalidJobParametersException("to must be greater than from.");
        }
        if (to > MaxTo)
        {
            throw new InvalidJobParametersException(
                $"to must be at most {MaxTo} (10^16): larger ranges need more sieving primes than a volunteer machine should hold.");
        }
        if (unitSize < 1)
        {
            throw new InvalidJobParametersException("unitSize must be at least 1.");
        }
        if (unitSize > MaxUnitSize)
        {
            throw new InvalidJobParametersException(
                $"unitSize must be at most {MaxUnitSize} (10^11) so that one unit stays a bounded amount of work.");
        }
        if (UnitCountFor(to - from, unitSize) > MaxUnitCount)
        {
            var smallest = UnitCountFor(to - from, MaxUnitCount);
            throw new InvalidJobParametersException(
                $"unitSize must be large enough that the job has at most {MaxUnitCount} units; this range needs a unitSize of at least {smallest}.");
        }
        return new PrimesParameters(from, to, unitSize);
    }

    /// <summary>The range of unit <paramref name="index"/>; index * UnitSize &lt; To - From, so nothing overflows.</summary>
    public PrimesUnit UnitAt(long index)
    {
        var from = From + (index * UnitSize);
        return new PrimesUnit(from, Math.Min(To, from + UnitSize));
    }

    private static long UnitCountFor(long length, long unitSize) =>
        (length / unitSize) + (length % unitSize == 0 ? 0 : 1);
}

using Volunteer.Sdk;

namespace Volunteer.Apps.Primes;

/// <summary>
/// The built-in app "primes": counts the primes in [from, to), split into ranges of unitSize numbers.
/// </summary>
public sealed class PrimesApp : IScienceApp
{
    public const string AppName = "primes";

    private readonly PrimesReducer _reducer = new();

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new PrimesSplitter();

    public IUnitComputer Computer { get; } = new PrimesComputer();

    /// <summary>Counts are exact, so honest results are byte-identical and digests must match.</summary>
    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultReducer Reducer => _reducer;

    /// <summary>The reducer's own check of a count, applied to each result as it arrives.</summary>
    public IResultValidator Validator => _reducer;

    /// <summary>One credit per million numbers sieved: a unit's cost grows with its length (and only slowly with its height).</summary>
    public IUnitCredit Credit { get; } = new RangeCredit();

    private sealed class RangeCredit : IUnitCredit
    {
        public double CreditOf(UnitInput unit) => PrimesUnit.Parse(unit.Json).Length / 1_000_000.0;
    }
}

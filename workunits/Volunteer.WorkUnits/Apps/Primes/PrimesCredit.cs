using Volunteer.WorkUnits.Sdk;

namespace Volunteer.WorkUnits.Apps.Primes;

/// <summary>
/// One credit per 10^7 numbers sieved: (to - from) / 10^7. It depends on the unit alone, never on
/// anything the worker reports, so every valid result of a unit earns the same.
/// </summary>
internal sealed class PrimesCredit : IUnitCredit
{
    private const double NumbersPerCredit = 1e7;

    public double CreditFor(UnitInput unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return PrimesUnit.Parse(unit.Json).Length / NumbersPerCredit;
    }
}

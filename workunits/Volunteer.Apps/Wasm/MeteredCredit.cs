using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// A WebAssembly app's credit: PerUnit for every unit (1 when the app names neither), plus PerMillionFuel for each
/// million units of the fuel the unit burned, where that fuel is the least the agreeing replicas reported, capped at
/// the version's FuelPerUnit: no worker can inflate it beyond what the others in the quorum report, nor beyond the limit.
/// </summary>
internal sealed class MeteredCredit(AppCredit credit, AppLimits limits) : IUnitCredit
{
    private readonly double _perUnit = credit.PerUnit ?? (credit.PerMillionFuel is null ? 1 : 0);

    public double CreditOf(UnitInput unit) => _perUnit;

    public double CreditOfMetered(UnitInput unit, long? fuel)
    {
        if (credit.PerMillionFuel is not { } rate || fuel is not { } burned)
        {
            return _perUnit;
        }
        return _perUnit + (rate * Math.Clamp(burned, 0, limits.FuelPerUnit) / 1_000_000.0);
    }
}

namespace Volunteer.WorkUnits.Sdk;

/// <summary>
/// The credit a valid result of a unit earns. Fixed by the unit, never claimed by the worker, so
/// nobody can inflate it.
/// </summary>
public interface IUnitCredit
{
    double CreditFor(UnitInput unit);
}

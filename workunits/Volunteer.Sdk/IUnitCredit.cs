namespace Volunteer.Sdk;

/// <summary>
/// The credit a unit is worth, fixed by the app from the unit alone (never claimed by the worker), so that no
/// volunteer can inflate it. Every replica whose result matched the unit's canonical result is granted this much.
/// </summary>
public interface IUnitCredit
{
    double CreditOf(UnitInput unit);

    /// <summary>
    /// The credit of a unit whose agreeing results burned <paramref name="fuel"/> (the least any of them reported; null
    /// when the app is not metered): only apps that credit per unit of fuel look at it.
    /// </summary>
    double CreditOfMetered(UnitInput unit, long? fuel) => CreditOf(unit);
}

/// <summary>The same credit for every unit: for apps whose units cost about the same.</summary>
public sealed class FixedCredit(double perUnit) : IUnitCredit
{
    public static FixedCredit OnePerUnit { get; } = new(1);

    public double CreditOf(UnitInput unit) => perUnit;
}

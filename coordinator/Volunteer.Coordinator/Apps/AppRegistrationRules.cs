using System.Text.RegularExpressions;
using Volunteer.Coordinator.Errors;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Apps;

/// <summary>
/// The checks of a registration that need nothing but the request: names, limits, comparator and credit, each problem
/// naming what is wrong; and the defaults a registration leaves out. Whether the module is a usable one is checked
/// after, against the blob store and the sandbox (<see cref="AppsApi"/>).
/// </summary>
public static partial class AppRegistrationRules
{
    public const int MaxNameLength = 64;
    public const int MaxVersionLength = 32;

    /// <summary>Linear memory grows in pages of 64 KiB.</summary>
    public const long MemoryPage = 64 * 1024;
    public const long MinMemoryBytes = MemoryPage;
    public const long MaxMemoryBytes = 1L << 30;
    public const long MinFuelPerUnit = 1;
    public const long MaxFuelPerUnit = 10_000_000_000_000;

    /// <summary>The most credit a unit (or a million units of fuel) may be worth: far above any sensible rate.</summary>
    public const double MaxCreditRate = 1_000_000;

    public static readonly AppComparator DefaultComparator = new(ComparatorKind.Bitwise);
    public static readonly AppCredit DefaultCredit = new(PerUnit: 1);

    /// <summary>The registration with its defaults filled in, or what is wrong with it.</summary>
    public static (AppRegistration? Registration, string? Problem) Check(AppRegistration? registration, AppDirectory apps)
    {
        if (registration is null)
        {
            return (null, "An app registration body is required.");
        }
        if (CheckName(registration.Name) is { } nameProblem)
        {
            return (null, nameProblem);
        }
        if (apps.IsBuiltIn(registration.Name))
        {
            return (null, $"'{registration.Name}' is the name of a built-in app; a registered app needs a name of its own.");
        }
        if (CheckVersion(registration.Version) is { } versionProblem)
        {
            return (null, versionProblem);
        }
        if ((CheckDigest(registration.Module, "module") ?? (registration.Reducer is null ? null : CheckDigest(registration.Reducer, "reducer"))) is { } digestProblem)
        {
            return (null, digestProblem);
        }
        var limits = registration.Limits ?? AppLimits.Default;
        var comparator = registration.Comparator ?? DefaultComparator;
        var credit = registration.Credit ?? DefaultCredit;
        var problem = CheckLimits(limits) ?? CheckComparator(comparator) ?? CheckCredit(credit);
        return problem is null
            ? (registration with { Limits = limits, Comparator = comparator, Credit = credit }, null)
            : (null, problem);
    }

    /// <summary>Null when <paramref name="name"/> may name a registered app (whether a built-in has it aside).</summary>
    public static string? CheckName(string? name) =>
        name is not null && Name().IsMatch(name)
            ? null
            : $"'name' must be 1 to {MaxNameLength} letters, digits, '-' or '_'" + (name is null ? " (it is missing)." : $", not {Problems.Quote(name)}.");

    public static string? CheckVersion(string? version) =>
        version is not null && Version().IsMatch(version)
            ? null
            : $"'version' must be 1 to {MaxVersionLength} letters, digits, '.', '-' or '_'" +
              (version is null ? " (it is missing)." : $", not {Problems.Quote(version)}.");

    private static string? CheckDigest(string? digest, string field) =>
        ContentDigest.IsWellFormed(digest)
            ? null
            : $"'{field}' must be the digest of an uploaded blob (\"sha256:\" and 64 lowercase hex digits)" +
              (digest is null ? " (it is missing)." : $", not {Problems.Quote(digest)}.");

    private static string? CheckLimits(AppLimits limits)
    {
        if (limits.MemoryBytes is < MinMemoryBytes or > MaxMemoryBytes || limits.MemoryBytes % MemoryPage != 0)
        {
            return $"'limits.memoryBytes' must be a multiple of {MemoryPage} (64 KiB pages) from {MinMemoryBytes} to {MaxMemoryBytes}; " +
                   $"it is {limits.MemoryBytes}.";
        }
        if (limits.FuelPerUnit is < MinFuelPerUnit or > MaxFuelPerUnit)
        {
            return $"'limits.fuelPerUnit' must be from {MinFuelPerUnit} to {MaxFuelPerUnit}; it is {limits.FuelPerUnit}.";
        }
        return null;
    }

    private static string? CheckComparator(AppComparator comparator)
    {
        if (!Enum.IsDefined(comparator.Kind))
        {
            return $"'comparator.kind' must be one of {string.Join(", ", Enum.GetNames<ComparatorKind>())}.";
        }
        if (!double.IsFinite(comparator.Absolute) || comparator.Absolute < 0 || !double.IsFinite(comparator.Relative) || comparator.Relative < 0)
        {
            return "'comparator.absolute' and 'comparator.relative' must be finite and not negative " +
                   $"(they are {comparator.Absolute} and {comparator.Relative}).";
        }
        if (comparator.Kind == ComparatorKind.Bitwise && (comparator.Absolute != 0 || comparator.Relative != 0))
        {
            return "A Bitwise comparator compares bytes and takes no tolerance: leave 'comparator.absolute' and 'comparator.relative' at 0, " +
                   "or make it a Tolerance comparator.";
        }
        return null;
    }

    private static string? CheckCredit(AppCredit credit)
    {
        if (credit.PerUnit.HasValue == credit.PerMillionFuel.HasValue)
        {
            return "'credit' must give exactly one of 'perUnit' (a fixed credit per unit) and 'perMillionFuel' (credit per million units of fuel burned).";
        }
        var (field, rate) = credit.PerUnit is { } perUnit ? ("perUnit", perUnit) : ("perMillionFuel", credit.PerMillionFuel!.Value);
        return double.IsFinite(rate) && rate > 0 && rate <= MaxCreditRate
            ? null
            : $"'credit.{field}' must be above 0 and at most {MaxCreditRate}; it is {rate}.";
    }

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z")]
    private static partial Regex Name();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,32}\z")]
    private static partial Regex Version();
}

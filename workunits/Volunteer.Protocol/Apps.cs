using System.Text.Json.Serialization;

namespace Volunteer.Protocol;

/// <summary>
/// What a unit of a WebAssembly app may take on a volunteer's machine. Part of what the coordinator signs, so no peer or
/// proxy can raise them on the way.
/// </summary>
/// <param name="MemoryBytes">The most linear memory the module may grow to (a whole number of 64 KiB pages).</param>
/// <param name="FuelPerUnit">The most fuel (Wasmtime's count of executed instructions, roughly) one unit may burn.</param>
public sealed record AppLimits(long MemoryBytes, long FuelPerUnit)
{
    /// <summary>What a registration that names no limits gets: 64 MiB of memory and 10^11 fuel per unit.</summary>
    public static AppLimits Default { get; } = new(64L * 1024 * 1024, 100_000_000_000);
}

[JsonConverter(typeof(JsonStringEnumConverter<ComparatorKind>))]
public enum ComparatorKind
{
    /// <summary>Results agree when their bytes are identical (their digests are compared).</summary>
    Bitwise,
    /// <summary>Results are little-endian IEEE-754 float64 arrays that agree element by element within tolerances.</summary>
    Tolerance,
}

/// <summary>How two results of one unit are compared.</summary>
/// <param name="Absolute">Tolerance: |a − b| may be up to Absolute + Relative · max(|a|, |b|).</param>
public sealed record AppComparator(ComparatorKind Kind, double Absolute = 0, double Relative = 0);

/// <summary>What a validated unit is worth: a fixed amount, or an amount per million units of fuel it burned.</summary>
public sealed record AppCredit(double? PerUnit = null, double? PerMillionFuel = null);

/// <summary>A scientist's registration of one version of a WebAssembly app (POST api/v1/apps).</summary>
/// <param name="Name">Letters, digits, '-' and '_'; not the name of a built-in app.</param>
/// <param name="Version">Letters, digits, '.', '-' and '_' (e.g. 1.0.2); a registered version never changes.</param>
/// <param name="Module">The digest of the module, uploaded beforehand as a blob.</param>
/// <param name="Reducer">The digest of a reducer module (also an uploaded blob) the coordinator runs to fold unit results; null: the job's result is the ordered list of unit results.</param>
public sealed record AppRegistration(
    string Name,
    string Version,
    string Module,
    AppComparator? Comparator = null,
    AppCredit? Credit = null,
    AppLimits? Limits = null,
    string? Reducer = null);

/// <summary>A registered app version as the job API shows it.</summary>
/// <param name="Signature">The coordinator's signature over the module's digest, the name, the version and the limits (see CoordinatorSignature.Module).</param>
public sealed record AppVersionView(
    string Name,
    string Version,
    string Module,
    long ModuleSize,
    AppComparator Comparator,
    AppCredit Credit,
    AppLimits Limits,
    string? Reducer,
    string Signature,
    DateTimeOffset RegisteredAt)
{
    /// <summary>How a job names this version: name@version.</summary>
    [JsonIgnore]
    public string Reference => AppReference.Of(Name, Version);
}

/// <summary>
/// The module a leased unit runs, as a worker receives it with the assignment: where to fetch the blob (peers first),
/// and the coordinator's signature over what it is, which the worker checks before running a single instruction.
/// </summary>
public sealed record AppModule(string Name, string Version, AppLimits Limits, string Signature, BlobSource Source)
{
    [JsonIgnore]
    public string Digest => Source.Manifest.Digest;
}

/// <summary>"name@version" names one version of a registered app; a name alone, the latest (or a built-in app).</summary>
public static class AppReference
{
    public const char Separator = '@';

    public static string Of(string name, string version) => $"{name}{Separator}{version}";

    /// <summary>The name and the version (null when none is named).</summary>
    public static (string Name, string? Version) Parse(string reference)
    {
        var at = reference.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? (reference, null) : (reference[..at], reference[(at + 1)..]);
    }
}

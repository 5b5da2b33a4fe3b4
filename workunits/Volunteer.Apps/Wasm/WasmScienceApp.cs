using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// A registered WebAssembly app version as the coordinator uses it: splits a job's parameters ("units" or "ranges",
/// and the shared "blobs"), compares results (bitwise, or float64 arrays within tolerance), folds them (the ordered
/// list of unit results, or the app's reducer module in the sandbox) and credits them (per unit, or per fuel).
/// Its units are computed by the workers' sandboxes from the signed module, never here.
/// </summary>
public sealed class WasmScienceApp : IScienceApp
{
    /// <summary>
    /// The most bytes a job's result may take as JSON: the coordinator keeps it in the job's record and hands it out
    /// whole, so a fold that would grow it past this fails the unit (register a reducer that folds results smaller).
    /// </summary>
    public const int MaxResultJsonBytes = 16 * 1024 * 1024;

    private readonly bool _hasReducer;

    /// <param name="reducerModule">The bytes of the version's reducer module (its digest is <see cref="AppVersionView.Reducer"/>); null when it has none.</param>
    /// <param name="reducerCap">
    /// The most one fold may take where the reducer runs, whatever the version's limits say: a fold runs inside the
    /// coordinator, so a scientist's generous limits must not let a reducer hold it for long. Null: the version's limits.
    /// </param>
    public WasmScienceApp(AppVersionView version, WasmSandbox sandbox, ReadOnlyMemory<byte>? reducerModule, AppLimits? reducerCap = null)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(sandbox);
        Version = version;
        _hasReducer = version.Reducer is not null;
        var kind = version.Comparator.Kind;

        Splitter = new WasmJobSplitter(_hasReducer);
        Comparator = kind == ComparatorKind.Tolerance ? new Float64ToleranceComparator(version.Comparator) : DigestComparator.Instance;
        Validator = kind == ComparatorKind.Tolerance ? Float64ResultValidator.Instance : AnyResultIsPlausible.Instance;
        Credit = new MeteredCredit(version.Credit, version.Limits);
        if (version.Reducer is { } reducerDigest)
        {
            var bytes = reducerModule ?? throw new ArgumentException($"The app version {version.Reference} has the reducer module {reducerDigest}, whose bytes were not given.", nameof(reducerModule));
            // Compiled at the first fold (and once per digest by the sandbox), not for every job's plan.
            var module = new Lazy<WasmModule>(() => sandbox.Load(reducerDigest, bytes.Span, ModuleKind.Reducer));
            var limits = reducerCap is null ? version.Limits : new AppLimits(
                Math.Min(version.Limits.MemoryBytes, reducerCap.MemoryBytes), Math.Min(version.Limits.FuelPerUnit, reducerCap.FuelPerUnit));
            Reducer = new ReducerModuleReducer(sandbox, module, limits, kind);
        }
        else
        {
            Reducer = new OrderedListReducer(kind);
        }
    }

    public AppVersionView Version { get; }

    /// <summary>name@version: what jobs record.</summary>
    public string Name => Version.Reference;

    public IJobSplitter Splitter { get; }

    /// <summary>Never called on the coordinator: the workers run the signed module in their sandboxes.</summary>
    public IUnitComputer Computer => ComputedByWorkers.Instance;

    public IResultComparator Comparator { get; }

    public IResultReducer Reducer { get; }

    public IResultValidator Validator { get; }

    public IUnitCredit Credit { get; }

    /// <summary>The job's "blobs", in the order the module reads them (blob_size/blob_read index = position).</summary>
    public IReadOnlyList<string> InputBlobs(JsonElement parameters) => WasmJobParameters.Parse(parameters, _hasReducer).Blobs;

    private sealed class ComputedByWorkers : IUnitComputer
    {
        public static ComputedByWorkers Instance { get; } = new();

        public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(
                "The units of a WebAssembly app are computed by the workers, in their sandboxes, from the module the coordinator signed; not by the coordinator.");
    }
}

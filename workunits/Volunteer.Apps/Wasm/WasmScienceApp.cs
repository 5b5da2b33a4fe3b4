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
public sealed class WasmScienceApp(AppVersionView version, WasmSandbox sandbox, ReadOnlyMemory<byte>? reducerModule) : IScienceApp
{
    public AppVersionView Version { get; } = version;

    /// <summary>name@version: what jobs record.</summary>
    public string Name => Version.Reference;

    public IJobSplitter Splitter => throw new NotImplementedException();

    public IUnitComputer Computer => throw new NotImplementedException();

    public IResultComparator Comparator => throw new NotImplementedException();

    public IResultReducer Reducer => throw new NotImplementedException();

    public IResultValidator Validator => throw new NotImplementedException();

    public IUnitCredit Credit => throw new NotImplementedException();

    public IReadOnlyList<string> InputBlobs(JsonElement parameters) => throw new NotImplementedException();

    private WasmSandbox Sandbox { get; } = sandbox;

    private ReadOnlyMemory<byte>? ReducerModule { get; } = reducerModule;
}

using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>Which side of the ABI a module serves: units on the workers, or the job's fold on the coordinator.</summary>
public enum ModuleKind
{
    Compute,
    Reducer,
}

/// <summary>What one unit's run of a module gave: its result bytes and the fuel it burned.</summary>
public sealed record WasmOutcome(byte[] Result, long FuelUsed);

/// <summary>A run that ended without a result (a trap, fuel or memory exhausted, an error code): the unit's error.</summary>
public sealed class WasmUnitException(string message) : Exception(message);

/// <summary>
/// Runs scientists' WebAssembly modules with Wasmtime: no filesystem, network, clock or randomness (a module imports
/// only the ABI's own functions), linear memory capped, every instruction paid for in fuel. Compiles a module once per
/// digest and keeps it. One per process.
/// </summary>
public sealed class WasmSandbox : IDisposable
{
    /// <summary>Null when <paramref name="module"/> compiles, exports the ABI of its kind and imports nothing else; otherwise what is wrong.</summary>
    public string? Problem(ReadOnlySpan<byte> module, ModuleKind kind) => throw new NotImplementedException();

    /// <summary>The compiled module (compiled on first use of its digest); throws InvalidDataException for a module that <see cref="Problem"/> refuses.</summary>
    public WasmModule Load(string digest, ReadOnlySpan<byte> module, ModuleKind kind) => throw new NotImplementedException();

    /// <summary>
    /// Computes one unit: <paramref name="input"/> in, result out, progress and checkpoints through
    /// <paramref name="context"/>, the job's shared blobs (by position) read through it. Throws
    /// <see cref="WasmUnitException"/> when the run ends without a result, OperationCanceledException when stopped.
    /// </summary>
    public WasmOutcome Compute(
        WasmModule module, ReadOnlySpan<byte> input, AppLimits limits, IUnitContext context, IReadOnlyList<string> blobs, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>Folds one unit's result into the accumulated one (empty before the first) with a reducer module.</summary>
    public byte[] Reduce(WasmModule reducer, ReadOnlySpan<byte> accumulated, ReadOnlySpan<byte> unitResult, AppLimits limits) =>
        throw new NotImplementedException();

    public void Dispose()
    {
    }
}

/// <summary>A module compiled by a <see cref="WasmSandbox"/>.</summary>
public sealed class WasmModule
{
    public required string Digest { get; init; }

    public required ModuleKind Kind { get; init; }
}

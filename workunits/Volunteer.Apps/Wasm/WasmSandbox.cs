using System.Runtime.ExceptionServices;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Wasmtime;

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
/// <remarks>
/// Each run gets a store of its own (its memory, its fuel, its instance), so runs share nothing but compiled code and
/// may go on in parallel on the agent's unit threads. Host functions end a run by throwing: Wasmtime turns that into a
/// trap that unwinds the module, and the run's <see cref="WasmRun"/> remembers why, so the caller gets the host's
/// reason rather than Wasmtime's wrapping of it.
/// </remarks>
public sealed class WasmSandbox : IDisposable
{
    /// <summary>Compiled modules kept at once; past this the oldest is dropped (compiled again if it is used again).</summary>
    public const int MaxCachedModules = 32;

    /// <summary>
    /// How often every running module is interrupted (an epoch): the moment a unit passes the agent's gate, sees its
    /// stop, or a fold sees its time budget, whatever the module does meanwhile.
    /// </summary>
    internal static readonly TimeSpan EpochInterval = TimeSpan.FromMilliseconds(50);

    private readonly Engine _engine;
    private readonly Linker _linker;
    private readonly Timer _epochs;
    private readonly Lock _cacheLock = new();
    // Under _cacheLock; the queue holds exactly the dictionary's digests, oldest first, so the cap always holds.
    private readonly Dictionary<string, Lazy<Module>> _compiled = new(StringComparer.Ordinal);
    private readonly Queue<string> _compiledOrder = new();

    public WasmSandbox()
    {
        using var config = new Config()
            .WithFuelConsumption(true)
            // Fuel bounds the work a module does, not the time it takes (memory.fill of a GiB costs one unit), nor does
            // it stop a module that never calls the host: epochs interrupt every run at a fixed interval.
            .WithEpochInterruption(true)
            // Determinism: a NaN's bits are the one thing IEEE-754 leaves to the CPU; canonicalised, every machine
            // computes the same bytes. Relaxed SIMD and threads are the other sources of difference, so both are off.
            .WithCraneliftNaNCanonicalization(true)
            .WithRelaxedSIMD(false, true)
            .WithWasmThreads(false)
            .WithMemory64(false);
        _engine = new Engine(config);
        _linker = new Linker(_engine);
        WasmRun.DefineImports(_linker);
        _epochs = new Timer(_ => _engine.IncrementEpoch(), null, EpochInterval, EpochInterval);
    }

    /// <summary>How many compiled modules the sandbox holds now (at most <see cref="MaxCachedModules"/>).</summary>
    public int CachedModules
    {
        get
        {
            lock (_cacheLock)
            {
                return _compiled.Count;
            }
        }
    }

    /// <summary>Null when <paramref name="module"/> compiles, exports the ABI of its kind and imports nothing else; otherwise what is wrong.</summary>
    public string? Problem(ReadOnlySpan<byte> module, ModuleKind kind)
    {
        Module compiled;
        try
        {
            compiled = Compiled(ContentDigest.Of(module), module, verify: false);
        }
        catch (WasmtimeException ex)
        {
            return $"The module does not compile: {OneLine(ex.Message)}";
        }
        return ProblemOf(compiled, kind);
    }

    /// <summary>The compiled module (compiled on first use of its digest); throws InvalidDataException for a module that <see cref="Problem"/> refuses.</summary>
    public WasmModule Load(string digest, ReadOnlySpan<byte> module, ModuleKind kind)
    {
        ArgumentNullException.ThrowIfNull(digest);
        Module compiled;
        try
        {
            compiled = Compiled(digest, module, verify: true);
        }
        catch (WasmtimeException ex)
        {
            throw new InvalidDataException($"The module {digest} does not compile: {OneLine(ex.Message)}", ex);
        }
        if (ProblemOf(compiled, kind) is { } problem)
        {
            throw new InvalidDataException($"The module {digest} is refused: {problem}");
        }
        return new WasmModule(compiled) { Digest = digest, Kind = kind };
    }

    /// <summary>
    /// Computes one unit: <paramref name="input"/> in, result out, progress and checkpoints through
    /// <paramref name="context"/>, the job's shared blobs (by position) read through it. Throws
    /// <see cref="WasmUnitException"/> when the run ends without a result, OperationCanceledException when stopped.
    /// </summary>
    public WasmOutcome Compute(
        WasmModule module, ReadOnlySpan<byte> input, AppLimits limits, IUnitContext context, IReadOnlyList<string> blobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(blobs);
        RequireKind(module, ModuleKind.Compute);
        cancellationToken.ThrowIfCancellationRequested();

        using var run = new WasmRun(ModuleKind.Compute, context, blobs, limits, cancellationToken);
        using var store = NewStore(run, limits);
        var instance = Instantiate(store, run, module, limits);
        var alloc = instance.GetFunction<int, int>(WasmAbi.Alloc)!;
        var compute = instance.GetFunction<int, int, int>(WasmAbi.Compute)!;
        var memory = instance.GetMemory(WasmAbi.Memory)!;

        var inputCopy = input.ToArray();
        var code = Run(run, limits, () =>
        {
            var pointer = Place(alloc, memory, inputCopy, "input");
            return compute(pointer, inputCopy.Length);
        });
        return new WasmOutcome(Outcome(run, code), FuelUsed(store, limits));
    }

    /// <summary>Folds one unit's result into the accumulated one (empty before the first) with a reducer module.</summary>
    public byte[] Reduce(WasmModule reducer, ReadOnlySpan<byte> accumulated, ReadOnlySpan<byte> unitResult, AppLimits limits)
    {
        ArgumentNullException.ThrowIfNull(reducer);
        ArgumentNullException.ThrowIfNull(limits);
        RequireKind(reducer, ModuleKind.Reducer);

        using var run = new WasmRun(ModuleKind.Reducer, WasmRun.NoUnitContext.Instance, [], limits, CancellationToken.None);
        using var store = NewStore(run, limits);
        var instance = Instantiate(store, run, reducer, limits);
        var alloc = instance.GetFunction<int, int>(WasmAbi.Alloc)!;
        var reduce = instance.GetFunction<int, int, int, int, int>(WasmAbi.Reduce)!;
        var memory = instance.GetMemory(WasmAbi.Memory)!;

        var accumulatedCopy = accumulated.ToArray();
        var unitCopy = unitResult.ToArray();
        var code = Run(run, limits, () =>
        {
            var accumulatedAt = Place(alloc, memory, accumulatedCopy, "accumulated result");
            var unitAt = Place(alloc, memory, unitCopy, "unit result");
            return reduce(accumulatedAt, accumulatedCopy.Length, unitAt, unitCopy.Length);
        });
        return Outcome(run, code);
    }

    public void Dispose()
    {
        // No tick after the engine is gone: wait for one under way.
        using (var stopped = new ManualResetEvent(false))
        {
            if (_epochs.Dispose(stopped))
            {
                stopped.WaitOne();
            }
        }
        foreach (var compiled in _compiled.Values.Where(entry => entry.IsValueCreated))
        {
            compiled.Value.Dispose();
        }
        _linker.Dispose();
        _engine.Dispose();
    }

    /// <summary>
    /// The module compiled under <paramref name="digest"/>, compiled from <paramref name="bytes"/> if it is not cached.
    /// With <paramref name="verify"/>, bytes are compiled only once they are found to be the digest's: the cache is keyed
    /// by digest, so other bytes would be run for every later unit of it.
    /// </summary>
    private Module Compiled(string digest, ReadOnlySpan<byte> bytes, bool verify)
    {
        Lazy<Module>? entry;
        lock (_cacheLock)
        {
            _compiled.TryGetValue(digest, out entry);
        }
        if (entry is null)
        {
            // Checked here, on the path that adds to the cache, not before looking it up: the digest may be evicted
            // in between.
            if (verify && ContentDigest.Of(bytes) != digest)
            {
                throw new InvalidDataException($"The module's bytes are not those of {digest}.");
            }
            var copy = bytes.ToArray();
            var fresh = new Lazy<Module>(() => Module.FromBytes(_engine, digest, copy));
            lock (_cacheLock)
            {
                if (!_compiled.TryGetValue(digest, out entry))
                {
                    entry = fresh;
                    _compiled.Add(digest, fresh);
                    _compiledOrder.Enqueue(digest);
                    while (_compiled.Count > MaxCachedModules)
                    {
                        // Not disposed: a run on another thread may still be instantiating it; the finalizer frees it.
                        _compiled.Remove(_compiledOrder.Dequeue());
                    }
                }
            }
        }
        return ValueOrForget(digest, entry);
    }

    /// <summary>A module that failed to compile is not cached, so its error is not the answer forever.</summary>
    private Module ValueOrForget(string digest, Lazy<Module> entry)
    {
        try
        {
            return entry.Value;
        }
        catch (WasmtimeException)
        {
            lock (_cacheLock)
            {
                if (_compiled.TryGetValue(digest, out var cached) && ReferenceEquals(cached, entry))
                {
                    _compiled.Remove(digest);
                    var others = _compiledOrder.Where(queued => queued != digest).ToList();
                    _compiledOrder.Clear();
                    others.ForEach(_compiledOrder.Enqueue);
                }
            }
            throw;
        }
    }

    private static string? ProblemOf(Module module, ModuleKind kind)
    {
        foreach (var import in module.Imports)
        {
            var name = $"{import.ModuleName}.{import.Name}";
            if (import is not FunctionImport function)
            {
                return $"The module imports {name}, which is not a function; a module may import only the functions of the volunteer ABI ({ImportList}).";
            }
            if (import.ModuleName != WasmAbi.ImportModule || !WasmAbi.Imports.TryGetValue(import.Name, out var signature))
            {
                return $"The module imports {name}, which the sandbox does not provide: a module may import only the functions of the volunteer ABI ({ImportList}), no WASI or other host functions, so it cannot reach files, sockets, clocks or randomness.";
            }
            if (!signature.Matches(function.Parameters, function.Results))
            {
                return $"The module imports {name} as {WasmAbi.Signature.Describe(function.Parameters, function.Results)}; the ABI's is {signature}.";
            }
        }

        var exports = module.Exports.ToDictionary(export => export.Name, StringComparer.Ordinal);
        if (!exports.TryGetValue(WasmAbi.Memory, out var memory) || memory is not MemoryExport { Is64Bit: false })
        {
            return $"The module does not export its 32-bit linear memory as \"{WasmAbi.Memory}\".";
        }
        foreach (var (name, signature) in WasmAbi.Exports(kind))
        {
            if (!exports.TryGetValue(name, out var export) || export is not FunctionExport function)
            {
                return $"The module does not export the function {name} {signature}, which a {KindName(kind)} module must.";
            }
            if (!signature.Matches(function.Parameters, function.Results))
            {
                return $"The module exports {name} as {WasmAbi.Signature.Describe(function.Parameters, function.Results)}; the ABI's is {signature}.";
            }
        }
        return null;
    }

    private static string ImportList => string.Join(", ", WasmAbi.Imports.Keys.Select(name => $"{WasmAbi.ImportModule}.{name}"));

    private static string KindName(ModuleKind kind) => kind == ModuleKind.Compute ? "compute" : "reducer";

    private static void RequireKind(WasmModule module, ModuleKind kind)
    {
        if (module.Kind != kind)
        {
            throw new ArgumentException($"The module {module.Digest} was loaded as a {KindName(module.Kind)} module, not a {KindName(kind)} one.", nameof(module));
        }
    }

    private Store NewStore(WasmRun run, AppLimits limits)
    {
        var store = new Store(_engine, run);
        // One memory and one table of modest size: what a C or Rust module uses. The memory cap makes memory.grow
        // return -1 past it, which the module sees as an allocation failure.
        store.SetLimits(memorySize: limits.MemoryBytes, tableElements: 100_000, instances: 1, tables: 1, memories: 1);
        // A resumed unit goes on with what its earlier runs left (none left: out of fuel at once).
        store.Fuel = checked((ulong)(limits.FuelPerUnit - run.FuelSpentBefore));
        store.SetEpochDeadline(1);
        store.SetEpochDeadlineCallback(_ =>
        {
            run.OnEpoch();
            return 1;
        });
        return store;
    }

    private Instance Instantiate(Store store, WasmRun run, WasmModule module, AppLimits limits)
    {
        try
        {
            return _linker.Instantiate(store, module.Compiled);
        }
        catch (WasmtimeException ex)
        {
            // The start function ran out of fuel or trapped, or the module's initial memory exceeds the cap.
            throw Ended(run, limits, ex);
        }
    }

    private static int Run(WasmRun run, AppLimits limits, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (WasmtimeException ex)
        {
            throw Ended(run, limits, ex);
        }
    }

    /// <summary>Copies <paramref name="bytes"/> into a buffer the module allocates; an empty span is passed as (0, 0) without one.</summary>
    private static int Place(Func<int, int> alloc, Memory memory, byte[] bytes, string what)
    {
        if (bytes.Length == 0)
        {
            return 0;
        }
        var pointer = alloc(bytes.Length);
        if (pointer == 0)
        {
            throw new WasmUnitException($"The module's {WasmAbi.Alloc} returned 0 (no memory) for the {bytes.Length} bytes of its {what}.");
        }
        bytes.CopyTo(WasmRun.Region(memory, pointer, bytes.Length, $"the {what} buffer from {WasmAbi.Alloc}"));
        return pointer;
    }

    private static byte[] Outcome(WasmRun run, int code)
    {
        if (code != 0)
        {
            throw new WasmUnitException($"The module returned error code {code}.");
        }
        return run.Result ?? throw new WasmUnitException(
            $"The module returned 0 (success) without giving a result through {WasmAbi.ImportModule}.{WasmAbi.Result}.");
    }

    /// <summary>The fuel the unit burned in all its runs: the store started with what the earlier runs left.</summary>
    private static long FuelUsed(Store store, AppLimits limits) => limits.FuelPerUnit - (long)store.Fuel;

    /// <summary>Why a run ended early: the host's reason when a host function ended it, otherwise the trap.</summary>
    private static Exception Ended(WasmRun run, AppLimits limits, WasmtimeException ex)
    {
        if (run.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        if (ex is TrapException { Type: TrapCode.OutOfFuel })
        {
            return WasmRun.OutOfFuel(limits);
        }
        return new WasmUnitException(ex is TrapException
            ? $"The module trapped: {Cause(ex.Message)}"
            : $"The module could not run: {Cause(ex.Message)}");
    }

    /// <summary>Wasmtime's message ends with the cause ("wasm trap: …"), after a backtrace.</summary>
    private static string Cause(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message : lines[^1];
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>A module compiled by a <see cref="WasmSandbox"/>.</summary>
public sealed class WasmModule
{
    internal WasmModule(Module compiled) => Compiled = compiled;

    public required string Digest { get; init; }

    public required ModuleKind Kind { get; init; }

    internal Module Compiled { get; }
}

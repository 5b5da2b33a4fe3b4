using System.Buffers.Binary;
using System.Diagnostics;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Wasmtime;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// One run of a module: the host side of the ABI's imports over the unit's <see cref="IUnitContext"/>, the result the
/// module gave, and why the host ended the run if it did. Lives in its store's data, where the linker's host functions
/// (shared by every run) find it.
/// </summary>
/// <remarks>
/// A checkpoint as the host saves it is the fuel spent up to the save (8 bytes, little-endian) followed by the module's
/// own state: the module sees only its state, and a resumed run starts with the fuel the unit has left, so the unit's
/// limit and the fuel it reports cover all its runs, not the last one.
/// </remarks>
internal sealed class WasmRun : IDisposable
{
    /// <summary>
    /// Progress calls let through after a stop: the first returns, so that a module that checkpoints sees
    /// time_to_checkpoint turn 1 and saves; a module that does not is ended at the next.
    /// </summary>
    private const int ProgressCallsAfterStop = 1;

    /// <summary>
    /// How long a stopped unit's module may run on (between epochs, whether or not it calls progress) to save its
    /// checkpoint and end by itself before the host ends it.
    /// </summary>
    internal static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest one fold of a reducer module may run, whatever its fuel: the fold runs inside the coordinator's job
    /// grain, which serves nothing else of the job meanwhile, and fuel alone does not bound time (bulk memory operations
    /// cost one unit of fuel for up to a GiB of work).
    /// </summary>
    internal static readonly TimeSpan ReduceBudget = TimeSpan.FromSeconds(10);

    /// <summary>Bytes copied between the host and the module's memory for one unit of fuel.</summary>
    internal const int BytesPerFuel = 64;

    /// <summary>The bytes before the module's own state in a checkpoint the host saved: the fuel spent up to the save.</summary>
    internal const int CheckpointFuelBytes = 8;

    private readonly ModuleKind _kind;
    private readonly IUnitContext _context;
    private readonly IReadOnlyList<string> _blobs;
    private readonly CancellationToken _stopping;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Dictionary<int, Stream> _openBlobs = [];
    private int _progressAfterStop;
    private long? _stoppedAt;

    public WasmRun(ModuleKind kind, IUnitContext context, IReadOnlyList<string> blobs, AppLimits limits, CancellationToken stopping)
    {
        _kind = kind;
        _context = context;
        _blobs = blobs;
        _stopping = stopping;
        Limits = limits;
        // A checkpoint too short to hold the host's prefix is not one the host wrote: the unit starts afresh.
        if (context.Checkpoint is { Length: >= CheckpointFuelBytes } saved)
        {
            ModuleCheckpoint = saved[CheckpointFuelBytes..];
            FuelSpentBefore = Math.Clamp(BinaryPrimitives.ReadInt64LittleEndian(saved.Span), 0, limits.FuelPerUnit);
        }
    }

    public AppLimits Limits { get; }

    /// <summary>The fuel the unit spent in its earlier runs, up to the checkpoint it resumes from.</summary>
    public long FuelSpentBefore { get; }

    /// <summary>The module's own state in the checkpoint the unit resumes from (without the host's prefix); null when there is none.</summary>
    private ReadOnlyMemory<byte>? ModuleCheckpoint { get; }

    /// <summary>The bytes the module last passed to volunteer.result.</summary>
    public byte[]? Result { get; private set; }

    /// <summary>Why a host function ended the run (a stop, a bad pointer, the agent's own failure), rethrown to the caller.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Defines every import of the ABI; each reads its run from the calling store.</summary>
    public static void DefineImports(Linker linker)
    {
        // Caller is a ref struct, so each function takes what it needs from it (its run, its memory) before the guard.
        // Every function that copies bytes between the host and the module's memory charges fuel for them first, so a
        // module cannot make the host do unbounded work for a few units of fuel.
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.Result, (Caller caller, int pointer, int length) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
            Charge(caller, run, length);
            run.Guard(() => run.SetResult(memory, pointer, length));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.Progress, (Caller caller, double fraction) =>
        {
            var run = Of(caller);
            run.Guard(() => run.ReportProgress(fraction));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.TimeToCheckpoint, (Caller caller) =>
        {
            var run = Of(caller);
            return run.Guard(() => run.IsTimeToCheckpoint() ? 1 : 0);
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.CheckpointSave, (Caller caller, int pointer, int length, double fraction) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
            // Charged whether or not a checkpoint is due, so that the fuel a run burns does not depend on the clock.
            var spent = Charge(caller, run, length);
            run.Guard(() => run.SaveCheckpoint(memory, pointer, length, fraction, spent));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.CheckpointSize, (Caller caller) =>
        {
            var run = Of(caller);
            return run.Guard(run.CheckpointSize);
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.CheckpointRead, (Caller caller, int pointer) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
            Charge(caller, run, run.ModuleCheckpoint?.Length ?? 0);
            return run.Guard(() => run.ReadCheckpoint(memory, pointer));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.BlobSize, (Caller caller, int index) =>
        {
            var run = Of(caller);
            return run.Guard(() => run.BlobSize(index));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.BlobRead, (Caller caller, int index, long offset, int pointer, int length) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
            Charge(caller, run, length);
            return run.Guard(() => run.ReadBlob(memory, index, offset, pointer, length));
        });
    }

    /// <summary>
    /// The bytes [pointer, pointer + length) of the module's memory; a range outside it ends the run (a module that
    /// passes one has a bug, and the host must never read or write outside the sandbox).
    /// </summary>
    public static Span<byte> Region(Memory memory, int pointer, int length, string what)
    {
        // Pointers are unsigned offsets in wasm32: a module may legitimately use addresses above 2 GiB.
        var start = (uint)pointer;
        if (length < 0 || start + (ulong)length > (ulong)memory.GetLength())
        {
            throw new WasmUnitException(
                $"The module passed {what} at [{start}, {start + (ulong)(uint)length}), outside its memory of {memory.GetLength()} bytes.");
        }
        return length == 0 ? [] : memory.GetSpan(start, length);
    }

    /// <summary>
    /// Called by the store at every epoch (every <see cref="WasmSandbox.EpochInterval"/>), wherever the module is: a
    /// computing unit passes the agent's gate (held while paused, throttled) even if it never calls progress, and a
    /// stopped one is ended after its grace; a fold is ended past its budget. Throwing ends the run with that reason.
    /// Neither the result nor the fuel depends on it.
    /// </summary>
    public void OnEpoch() => Guard(() =>
    {
        if (_kind == ModuleKind.Reducer)
        {
            if (Stopwatch.GetElapsedTime(_started) > ReduceBudget)
            {
                throw new WasmUnitException(
                    $"The reducer module ran longer than {ReduceBudget.TotalSeconds:0} s, the most one fold may take on the coordinator.");
            }
            return;
        }
        // No number: the fraction shown stays what the module last reported.
        _context.ReportProgress(double.NaN);
        if (_stopping.IsCancellationRequested)
        {
            _stoppedAt ??= Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_stoppedAt.Value) > StopGrace)
            {
                throw new OperationCanceledException(
                    $"The unit was stopped; the module did not save a checkpoint and end within {StopGrace.TotalSeconds:0} s.", _stopping);
            }
        }
    });

    /// <summary>The out-of-fuel error of a run under <paramref name="limits"/>, whether the module or a host copy burnt the last of it.</summary>
    public static WasmUnitException OutOfFuel(AppLimits limits) => new(
        $"The module ran out of fuel after {limits.FuelPerUnit:N0} units of fuel, its limit per unit (the app version's FuelPerUnit).");

    public void Dispose()
    {
        foreach (var stream in _openBlobs.Values)
        {
            stream.Dispose();
        }
    }

    private static WasmRun Of(Caller caller) => (WasmRun)caller.GetData()!;

    /// <summary>
    /// Takes the fuel for copying <paramref name="bytes"/> (one unit per <see cref="BytesPerFuel"/>, rounded up) and
    /// returns the fuel the unit has spent in all, this charge included; too little left ends the run as out of fuel.
    /// </summary>
    private static long Charge(Caller caller, WasmRun run, long bytes)
    {
        var cost = (Math.Max(bytes, 0) + BytesPerFuel - 1) / BytesPerFuel;
        var left = caller.Fuel;
        if (left < (ulong)cost)
        {
            caller.Fuel = 0;
            throw run.Fail(OutOfFuel(run.Limits));
        }
        caller.Fuel = left - (ulong)cost;
        return run.Limits.FuelPerUnit - (long)caller.Fuel;
    }

    private static Memory MemoryOf(Caller caller) =>
        caller.GetMemory(WasmAbi.Memory) ?? throw new WasmUnitException($"The module exports no memory named \"{WasmAbi.Memory}\".");

    private void Guard(Action body) => Guard(() =>
    {
        body();
        return 0;
    });

    /// <summary>Remembers why a host function ends the run before Wasmtime wraps the exception into a trap.</summary>
    private T Guard<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    private Exception Fail(Exception reason)
    {
        Failure ??= reason;
        return reason;
    }

    private void SetResult(Memory memory, int pointer, int length) =>
        Result = Region(memory, pointer, length, "its result").ToArray();

    private void ReportProgress(double fraction)
    {
        _context.ReportProgress(double.IsFinite(fraction) ? Math.Clamp(fraction, 0, 1) : double.NaN);
        if (_stopping.IsCancellationRequested && ++_progressAfterStop > ProgressCallsAfterStop)
        {
            throw new OperationCanceledException("The unit was stopped; the module saved no checkpoint.", _stopping);
        }
    }

    private int CheckpointSize() => ModuleCheckpoint?.Length ?? -1;

    private bool IsTimeToCheckpoint() => _stopping.IsCancellationRequested || _context.TimeToCheckpoint;

    /// <summary>Saves the module's state behind the fuel spent so far, only when a checkpoint is due (so a module cannot hammer the disk).</summary>
    private void SaveCheckpoint(Memory memory, int pointer, int length, double fraction, long fuelSpent)
    {
        var state = Region(memory, pointer, length, "a checkpoint");
        if (!IsTimeToCheckpoint())
        {
            return;
        }
        var saved = new byte[CheckpointFuelBytes + state.Length];
        BinaryPrimitives.WriteInt64LittleEndian(saved, fuelSpent);
        state.CopyTo(saved.AsSpan(CheckpointFuelBytes));
        // Not cancellable: the save that a stop asks for must happen.
        _context.SaveCheckpointAsync(saved, fraction, CancellationToken.None).GetAwaiter().GetResult();
        if (_stopping.IsCancellationRequested)
        {
            throw new OperationCanceledException("The unit was stopped after saving its checkpoint.", _stopping);
        }
    }

    private int ReadCheckpoint(Memory memory, int pointer)
    {
        if (ModuleCheckpoint is not { } checkpoint)
        {
            return -1;
        }
        checkpoint.Span.CopyTo(Region(memory, pointer, checkpoint.Length, "the checkpoint buffer"));
        return checkpoint.Length;
    }

    private long BlobSize(int index) => Blob(index) is { } blob ? blob.Length : -1;

    private int ReadBlob(Memory memory, int index, long offset, int pointer, int length)
    {
        if (Blob(index) is not { } blob || offset < 0 || length < 0)
        {
            return -1;
        }
        var target = Region(memory, pointer, length, "a blob buffer");
        if (offset >= blob.Length)
        {
            return 0;
        }
        blob.Position = offset;
        return blob.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
    }

    /// <summary>The job's blob at <paramref name="index"/>, opened once per run; null when the job has none there.</summary>
    private Stream? Blob(int index)
    {
        if (index < 0 || index >= _blobs.Count)
        {
            return null;
        }
        if (!_openBlobs.TryGetValue(index, out var stream))
        {
            stream = _context.OpenBlob(_blobs[index]);
            if (!stream.CanSeek)
            {
                stream.Dispose();
                throw new InvalidOperationException($"The blob {_blobs[index]} was opened as a stream that cannot seek.");
            }
            _openBlobs[index] = stream;
        }
        return stream;
    }

    /// <summary>The context of a reducer's run: no unit, so no progress to show, no checkpoint and no blobs.</summary>
    internal sealed class NoUnitContext : IUnitContext
    {
        public static NoUnitContext Instance { get; } = new();

        public ReadOnlyMemory<byte>? Checkpoint => null;

        public bool TimeToCheckpoint => false;

        public void ReportProgress(double fractionDone)
        {
        }

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken) => Task.CompletedTask;

        public Stream OpenBlob(string digest) => throw new InvalidOperationException("A reducer reads no blobs.");
    }
}

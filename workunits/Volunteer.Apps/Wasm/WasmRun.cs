using Volunteer.Sdk;
using Wasmtime;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// One run of a module: the host side of the ABI's imports over the unit's <see cref="IUnitContext"/>, the result the
/// module gave, and why the host ended the run if it did. Lives in its store's data, where the linker's host functions
/// (shared by every run) find it.
/// </summary>
internal sealed class WasmRun(IUnitContext context, IReadOnlyList<string> blobs, CancellationToken stopping) : IDisposable
{
    /// <summary>
    /// Progress calls let through after a stop: the first returns, so that a module that checkpoints sees
    /// time_to_checkpoint turn 1 and saves; a module that does not is ended at the next.
    /// </summary>
    private const int ProgressCallsAfterStop = 1;

    private readonly Dictionary<int, Stream> _openBlobs = [];
    private int _progressAfterStop;

    /// <summary>The bytes the module last passed to volunteer.result.</summary>
    public byte[]? Result { get; private set; }

    /// <summary>Why a host function ended the run (a stop, a bad pointer, the agent's own failure), rethrown to the caller.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Defines every import of the ABI; each reads its run from the calling store.</summary>
    public static void DefineImports(Linker linker)
    {
        // Caller is a ref struct, so each function takes what it needs from it (its run, its memory) before the guard.
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.Result, (Caller caller, int pointer, int length) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
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
            run.Guard(() => run.SaveCheckpoint(memory, pointer, length, fraction));
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.CheckpointSize, (Caller caller) =>
        {
            var run = Of(caller);
            return run.Guard(run.CheckpointSize);
        });
        linker.DefineFunction(WasmAbi.ImportModule, WasmAbi.CheckpointRead, (Caller caller, int pointer) =>
        {
            var (run, memory) = (Of(caller), MemoryOf(caller));
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

    public void Dispose()
    {
        foreach (var stream in _openBlobs.Values)
        {
            stream.Dispose();
        }
    }

    private static WasmRun Of(Caller caller) => (WasmRun)caller.GetData()!;

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
            Failure ??= ex;
            throw;
        }
    }

    private void SetResult(Memory memory, int pointer, int length) =>
        Result = Region(memory, pointer, length, "its result").ToArray();

    private void ReportProgress(double fraction)
    {
        context.ReportProgress(double.IsFinite(fraction) ? Math.Clamp(fraction, 0, 1) : double.NaN);
        if (stopping.IsCancellationRequested && ++_progressAfterStop > ProgressCallsAfterStop)
        {
            throw new OperationCanceledException("The unit was stopped; the module saved no checkpoint.", stopping);
        }
    }

    private int CheckpointSize() => context.Checkpoint?.Length ?? -1;

    private bool IsTimeToCheckpoint() => stopping.IsCancellationRequested || context.TimeToCheckpoint;

    private void SaveCheckpoint(Memory memory, int pointer, int length, double fraction)
    {
        var state = Region(memory, pointer, length, "a checkpoint").ToArray();
        // Not cancellable: the save that a stop asks for must happen.
        context.SaveCheckpointAsync(state, fraction, CancellationToken.None).GetAwaiter().GetResult();
        if (stopping.IsCancellationRequested)
        {
            throw new OperationCanceledException("The unit was stopped after saving its checkpoint.", stopping);
        }
    }

    private int ReadCheckpoint(Memory memory, int pointer)
    {
        if (context.Checkpoint is not { } checkpoint)
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
        if (index < 0 || index >= blobs.Count)
        {
            return null;
        }
        if (!_openBlobs.TryGetValue(index, out var stream))
        {
            stream = context.OpenBlob(blobs[index]);
            if (!stream.CanSeek)
            {
                stream.Dispose();
                throw new InvalidOperationException($"The blob {blobs[index]} was opened as a stream that cannot seek.");
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

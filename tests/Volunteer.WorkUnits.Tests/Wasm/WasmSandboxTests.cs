using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Wasmtime;

namespace Volunteer.WorkUnits.Tests.Wasm;

public sealed class WasmSandboxTests : IDisposable
{
    private static readonly AppLimits Limits = new(64 * 1024 * 1024, 100_000_000_000);

    private readonly WasmSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("primes", ModuleKind.Compute)]
    [InlineData("integral", ModuleKind.Compute)]
    [InlineData("sum", ModuleKind.Reducer)]
    public void The_example_apps_pass_registration(string name, ModuleKind kind) =>
        Assert.Null(_sandbox.Problem(WasmModules.Example(name), kind));

    [Fact]
    public void A_module_importing_a_wasi_filesystem_function_is_refused_naming_it() =>
        Assert.Equal(
            "The module imports wasi_snapshot_preview1.path_open, which the sandbox does not provide: a module may import only the functions of the volunteer ABI (volunteer.result, volunteer.progress, volunteer.time_to_checkpoint, volunteer.checkpoint_save, volunteer.checkpoint_size, volunteer.checkpoint_read, volunteer.blob_size, volunteer.blob_read), no WASI or other host functions, so it cannot reach files, sockets, clocks or randomness.",
            _sandbox.Problem(WasmModules.Test("wasi-fs"), ModuleKind.Compute));

    [Fact]
    public void A_module_importing_a_wasi_socket_function_is_refused_naming_it() =>
        Assert.StartsWith(
            "The module imports wasi_snapshot_preview1.sock_accept, which the sandbox does not provide",
            _sandbox.Problem(WasmModules.Test("wasi-socket"), ModuleKind.Compute));

    [Fact]
    public void A_module_built_against_wasi_libc_stdio_is_refused()
    {
        // What a scientist gets from printf: fd_write, whichever other WASI functions come with it.
        var module = Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 0))
              (func (export "volunteer_compute") (param i32 i32) (result i32) (i32.const 0)))
            """);

        Assert.StartsWith("The module imports wasi_snapshot_preview1.fd_write, which", _sandbox.Problem(module, ModuleKind.Compute));
    }

    [Fact]
    public void A_module_importing_its_memory_is_refused() =>
        Assert.StartsWith(
            "The module imports volunteer.memory, which is not a function",
            _sandbox.Problem(Module.ConvertText("""(module (import "volunteer" "memory" (memory 1)))"""), ModuleKind.Compute));

    [Fact]
    public void A_module_without_volunteer_compute_is_refused() =>
        Assert.Equal(
            "The module does not export the function volunteer_compute (i32, i32) -> (i32), which a compute module must.",
            _sandbox.Problem(WasmModules.Test("no-compute"), ModuleKind.Compute));

    [Fact]
    public void A_compute_module_is_not_a_reducer() =>
        Assert.Equal(
            "The module does not export the function volunteer_reduce (i32, i32, i32, i32) -> (i32), which a reducer module must.",
            _sandbox.Problem(WasmModules.Example("primes"), ModuleKind.Reducer));

    [Fact]
    public void A_module_without_its_memory_exported_is_refused() =>
        Assert.Equal(
            "The module does not export its 32-bit linear memory as \"memory\".",
            _sandbox.Problem(
                Module.ConvertText("""
                    (module
                      (memory 1)
                      (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 0))
                      (func (export "volunteer_compute") (param i32 i32) (result i32) (i32.const 0)))
                    """),
                ModuleKind.Compute));

    [Fact]
    public void An_import_with_another_signature_than_the_abi_is_refused() =>
        Assert.Equal(
            "The module imports volunteer.progress as (f32) -> (); the ABI's is (f64) -> ().",
            _sandbox.Problem(WasmModules.Test("wrong-signature"), ModuleKind.Compute));

    [Fact]
    public void An_export_with_another_signature_than_the_abi_is_refused() =>
        Assert.Equal(
            "The module exports volunteer_compute as (i32, i64) -> (i32); the ABI's is (i32, i32) -> (i32).",
            _sandbox.Problem(
                Module.ConvertText("""
                    (module
                      (memory (export "memory") 1)
                      (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 0))
                      (func (export "volunteer_compute") (param i32 i64) (result i32) (i32.const 0)))
                    """),
                ModuleKind.Compute));

    [Fact]
    public void Bytes_that_are_no_module_are_refused() =>
        Assert.StartsWith("The module does not compile: ", _sandbox.Problem("not wasm"u8, ModuleKind.Compute));

    [Fact]
    public void Loading_checks_the_bytes_against_the_digest_and_refuses_what_registration_refuses()
    {
        var primes = WasmModules.Example("primes");

        var wrongDigest = Assert.Throws<InvalidDataException>(() => _sandbox.Load(ContentDigest.Of("other"u8), primes, ModuleKind.Compute));
        Assert.Equal($"The module's bytes are not those of {ContentDigest.Of("other"u8)}.", wrongDigest.Message);

        var fs = WasmModules.Test("wasi-fs");
        var refused = Assert.Throws<InvalidDataException>(() => _sandbox.Load(ContentDigest.Of(fs), fs, ModuleKind.Compute));
        Assert.StartsWith($"The module {ContentDigest.Of(fs)} is refused: The module imports wasi_snapshot_preview1.path_open", refused.Message);
    }

    [Fact]
    public void A_module_that_loops_forever_runs_out_of_fuel()
    {
        var module = Load(WasmModules.Test("loop"));

        var error = Assert.Throws<WasmUnitException>(() => Compute(module, "{}"u8, new AppLimits(Limits.MemoryBytes, 1_000_000)));

        Assert.Equal("The module ran out of fuel after 1,000,000 units of fuel, its limit per unit (the app version's FuelPerUnit).", error.Message);
    }

    [Fact]
    public void A_module_growing_its_memory_past_the_cap_sees_the_growth_fail_and_ends_with_its_trap()
    {
        var module = Load(WasmModules.Test("grow"));

        var error = Assert.Throws<WasmUnitException>(() => Compute(module, "{}"u8, new AppLimits(1024 * 1024, Limits.FuelPerUnit)));

        Assert.Equal("The module trapped: wasm trap: wasm `unreachable` instruction executed", error.Message);
    }

    [Fact]
    public void A_module_whose_initial_memory_exceeds_the_cap_does_not_start()
    {
        var module = Load(Module.ConvertText("""
            (module
              (memory (export "memory") 32)
              (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 0))
              (func (export "volunteer_compute") (param i32 i32) (result i32) (i32.const 0)))
            """));

        var error = Assert.Throws<WasmUnitException>(() => Compute(module, "{}"u8, new AppLimits(1024 * 1024, Limits.FuelPerUnit)));

        Assert.StartsWith("The module could not run: ", error.Message);
    }

    [Fact]
    public void A_trap_is_the_units_error_with_the_trap_named()
    {
        var error = Assert.Throws<WasmUnitException>(() => Compute(Load(WasmModules.Test("trap")), "{}"u8));

        Assert.Equal("The module trapped: wasm trap: integer divide by zero", error.Message);
    }

    [Fact]
    public void A_nonzero_return_is_the_units_error_with_its_code()
    {
        var error = Assert.Throws<WasmUnitException>(() => Compute(Load(WasmModules.Test("error-code")), "{}"u8));

        Assert.Equal("The module returned error code 42.", error.Message);
    }

    [Fact]
    public void Success_without_a_result_is_an_error()
    {
        var error = Assert.Throws<WasmUnitException>(() => Compute(Load(WasmModules.Test("no-result")), "{}"u8));

        Assert.Equal("The module returned 0 (success) without giving a result through volunteer.result.", error.Message);
    }

    [Fact]
    public void A_pointer_outside_the_modules_memory_ends_the_run()
    {
        var error = Assert.Throws<WasmUnitException>(() => Compute(Load(WasmModules.Test("bad-pointer")), "{}"u8));

        Assert.Equal("The module passed its result at [65500, 65600), outside its memory of 65536 bytes.", error.Message);
    }

    [Fact]
    public void The_input_bytes_reach_the_module_and_the_result_comes_back_with_the_fuel_burned()
    {
        var module = Load(WasmModules.Test("echo"));

        var first = Compute(module, """{"x":[1,2,3]}"""u8);
        var second = Compute(module, """{"x":[1,2,3]}"""u8);

        Assert.Equal("""{"x":[1,2,3]}""", Encoding.UTF8.GetString(first.Result));
        Assert.InRange(first.FuelUsed, 1, 1000);
        Assert.Equal(first.FuelUsed, second.FuelUsed);
    }

    [Fact]
    public void Runs_are_deterministic_in_result_and_fuel()
    {
        var module = Load(WasmModules.Example("integral"));
        var input = """{"from":0,"to":2000000}"""u8;

        var first = Compute(module, input);
        var second = Compute(module, input);

        Assert.Equal(first.Result, second.Result);
        Assert.Equal(first.FuelUsed, second.FuelUsed);
        Assert.Equal(8, first.Result.Length);
    }

    [Theory]
    [InlineData(0, 1_000_000)]
    [InlineData(30_000_000, 31_000_000)]
    [InlineData(99_999_990, 100_000_000)]
    public void The_float_example_computes_its_slice_of_the_integral_bit_for_bit_as_the_same_loop_does_natively(long from, long to)
    {
        // IEEE-754 arithmetic without fused multiply-add, in the same order, gives the same bits on both sides.
        const double Width = 1.0 / 100_000_000;
        var sum = 0.0;
        for (var i = from; i < to; i++)
        {
            var x = (i + 0.5) * Width;
            sum += 4.0 / (1.0 + (x * x));
        }

        var result = Compute(Load(WasmModules.Example("integral")), Encoding.UTF8.GetBytes($$"""{"from":{{from}},"to":{{to}}}""")).Result;

        Assert.Equal(Float64(sum * Width), result);
    }

    [Fact]
    public void Blobs_are_read_by_their_position_in_the_jobs_list()
    {
        var module = Load(WasmModules.Test("blob"));
        var first = Encoding.UTF8.GetBytes("the first shared input");
        var second = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var blobs = new Dictionary<string, byte[]> { [ContentDigest.Of(first)] = first, [ContentDigest.Of(second)] = second };
        string[] order = [ContentDigest.Of(first), ContentDigest.Of(second)];

        Assert.Equal(first, Compute(module, "0"u8, context: new RecordingContext(blobs: blobs), blobs: order).Result);
        Assert.Equal(second, Compute(module, "1"u8, context: new RecordingContext(blobs: blobs), blobs: order).Result);
        var missing = Assert.Throws<WasmUnitException>(() => Compute(module, "2"u8, context: new RecordingContext(blobs: blobs), blobs: order));
        Assert.Equal("The module returned error code 1.", missing.Message);
    }

    [Fact]
    public void A_module_saves_checkpoints_when_it_is_time_and_resumes_from_one()
    {
        var module = Load(WasmModules.Test("checkpoint"));
        var context = new RecordingContext { TimeToCheckpoint = true };

        var fresh = Compute(module, "{}"u8, context: context);
        var resumed = Compute(module, "{}"u8, context: new RecordingContext(checkpoint: Saved(0, BitConverter.GetBytes(400))));

        Assert.Equal(1000, BitConverter.ToInt32(fresh.Result));
        Assert.Equal(1000, context.SavedCheckpoints.Count);
        Assert.Equal(BitConverter.GetBytes(1000), context.SavedCheckpoints[^1][8..]);
        Assert.Equal(0.5, context.CheckpointFractions[499]);
        Assert.Equal(1000 + (400 * 1_000_000), BitConverter.ToInt32(resumed.Result));
    }

    [Fact]
    public void A_stopped_unit_that_checkpoints_saves_then_ends_and_resumes_where_it_stopped()
    {
        var module = Load(WasmModules.Test("checkpoint"));
        using var stop = new CancellationTokenSource();
        var context = new RecordingContext(onProgress: fraction =>
        {
            if (fraction >= 0.25)
            {
                stop.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(() => Compute(module, "{}"u8, context: context, cancellationToken: stop.Token));
        var saved = Assert.Single(context.SavedCheckpoints);
        var resumed = Compute(module, "{}"u8, context: new RecordingContext(checkpoint: saved));
        var sameStateNoFuelSpent = Compute(module, "{}"u8, context: new RecordingContext(checkpoint: Saved(0, saved[8..])));

        Assert.Equal(BitConverter.GetBytes(250), saved[8..]);
        Assert.Equal(1000 + (250 * 1_000_000), BitConverter.ToInt32(resumed.Result));
        // The host's prefix: the fuel the stopped run spent, which the resumed run reports with its own.
        var spent = BinaryPrimitives.ReadInt64LittleEndian(saved);
        Assert.InRange(spent, 250, 1_000_000);
        Assert.Equal(sameStateNoFuelSpent.FuelUsed + spent, resumed.FuelUsed);
    }

    [Fact]
    public void A_resumed_unit_reports_the_fuel_of_all_its_runs_and_has_only_what_its_limit_leaves()
    {
        var module = Load(WasmModules.Test("checkpoint"));
        var limits = new AppLimits(Limits.MemoryBytes, 2_000_000);

        var firstRun = Compute(module, "{}"u8, limits, new RecordingContext(checkpoint: Saved(0, BitConverter.GetBytes(400))));
        var afterEarlierRuns = Compute(module, "{}"u8, limits, new RecordingContext(checkpoint: Saved(1_000_000, BitConverter.GetBytes(400))));
        var noneLeft = Assert.Throws<WasmUnitException>(() =>
            Compute(module, "{}"u8, limits, new RecordingContext(checkpoint: Saved(2_000_000, BitConverter.GetBytes(400)))));
        var tooLittleLeft = Assert.Throws<WasmUnitException>(() =>
            Compute(module, "{}"u8, limits, new RecordingContext(checkpoint: Saved(2_000_000 - (firstRun.FuelUsed / 2), BitConverter.GetBytes(400)))));

        Assert.Equal(firstRun.Result, afterEarlierRuns.Result);
        Assert.Equal(firstRun.FuelUsed + 1_000_000, afterEarlierRuns.FuelUsed);
        Assert.Equal("The module ran out of fuel after 2,000,000 units of fuel, its limit per unit (the app version's FuelPerUnit).", noneLeft.Message);
        Assert.Equal(noneLeft.Message, tooLittleLeft.Message);
    }

    [Fact]
    public void A_checkpoint_too_short_for_the_hosts_fuel_prefix_counts_as_none()
    {
        // Four bytes: the module's own state alone, as no host saves it.
        var outcome = Compute(Load(WasmModules.Test("checkpoint")), "{}"u8, context: new RecordingContext(checkpoint: BitConverter.GetBytes(400)));

        Assert.Equal(1000, BitConverter.ToInt32(outcome.Result));
    }

    [Fact]
    public void Checkpoint_save_saves_only_when_a_checkpoint_is_due()
    {
        // Saves at every one of its 100 steps without asking time_to_checkpoint.
        var module = Load(Module.ConvertText("""
            (module
              (import "volunteer" "result" (func $result (param i32 i32)))
              (import "volunteer" "checkpoint_save" (func $checkpoint_save (param i32 i32 f64)))
              (memory (export "memory") 1)
              (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "volunteer_compute") (param i32 i32) (result i32)
                (local $i i32)
                (loop $step
                  (call $checkpoint_save (i32.const 0) (i32.const 4) (f64.const 0.5))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $step (i32.lt_u (local.get $i) (i32.const 100))))
                (call $result (i32.const 0) (i32.const 4))
                (i32.const 0)))
            """));
        var notDue = new RecordingContext();
        var due = new RecordingContext { TimeToCheckpoint = true };

        var notDueOutcome = Compute(module, "{}"u8, context: notDue);
        var dueOutcome = Compute(module, "{}"u8, context: due);

        Assert.Empty(notDue.SavedCheckpoints);
        Assert.Equal(100, due.SavedCheckpoints.Count);
        // The copy is charged whether or not it is saved: the fuel does not depend on the clock.
        Assert.Equal(notDueOutcome.FuelUsed, dueOutcome.FuelUsed);
    }

    [Fact]
    public void Copying_bytes_between_the_host_and_the_module_costs_a_unit_of_fuel_per_64_bytes_rounded_up()
    {
        var nothing = Compute(Load(ResultOf(0, times: 1)), "{}"u8);
        var oneByte = Compute(Load(ResultOf(1, times: 1)), "{}"u8);
        var page = Compute(Load(ResultOf(65_536, times: 1)), "{}"u8);

        Assert.Equal(nothing.FuelUsed + 1, oneByte.FuelUsed);
        Assert.Equal(nothing.FuelUsed + 1024, page.FuelUsed);
    }

    [Fact]
    public void A_module_that_makes_the_host_copy_more_than_its_fuel_pays_for_runs_out_of_fuel()
    {
        // 1,000 results of 64 KiB: about 10,000 fuel of instructions, 1,024,000 of copying.
        var module = Load(ResultOf(65_536, times: 1000));

        var error = Assert.Throws<WasmUnitException>(() => Compute(module, "{}"u8, new AppLimits(Limits.MemoryBytes, 500_000)));

        Assert.Equal("The module ran out of fuel after 500,000 units of fuel, its limit per unit (the app version's FuelPerUnit).", error.Message);
    }

    [Fact]
    public void A_module_that_never_calls_the_host_passes_the_agents_gate_and_is_ended_after_its_grace_once_stopped()
    {
        // Fuel for minutes of looping: only the stop ends it.
        var module = Load(WasmModules.Test("loop"));
        using var stop = new CancellationTokenSource();
        var context = new RecordingContext(onProgress: _ => stop.Cancel());

        var error = Assert.Throws<OperationCanceledException>(() => Compute(module, "{}"u8, context: context, cancellationToken: stop.Token));

        Assert.Equal("The unit was stopped; the module did not save a checkpoint and end within 2 s.", error.Message);
        // The gate was passed with no fraction: the one shown stays the module's own.
        Assert.NotEmpty(context.Progress);
        Assert.All(context.Progress, fraction => Assert.True(double.IsNaN(fraction)));
    }

    [Fact]
    public void A_fold_that_runs_past_its_time_budget_is_ended_whatever_its_fuel()
    {
        // memory.fill of the whole memory costs about one unit of fuel: 10^13 fuel of it would take hours.
        var reducer = Load(
            Module.ConvertText("""
                (module
                  (memory (export "memory") 256)
                  (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "volunteer_reduce") (param i32 i32 i32 i32) (result i32)
                    (loop $forever
                      (memory.fill (i32.const 0) (i32.const 7) (i32.const 16777216))
                      (br $forever))
                    (i32.const 0)))
                """),
            ModuleKind.Reducer);

        var error = Assert.Throws<WasmUnitException>(() => _sandbox.Reduce(reducer, [], Float64(1), new AppLimits(Limits.MemoryBytes, 10_000_000_000_000)));

        Assert.Equal("The reducer module ran longer than 10 s, the most one fold may take on the coordinator.", error.Message);
    }

    [Fact]
    public void The_compiled_module_cache_holds_no_more_than_its_cap()
    {
        var modules = Enumerable.Range(0, 3 * WasmSandbox.MaxCachedModules).Select(i => ResultOf(i, times: 1)).ToList();

        Parallel.ForEach(modules, new ParallelOptions { MaxDegreeOfParallelism = 4 }, module => Load(module));
        foreach (var module in modules)
        {
            Load(module);
        }

        Assert.Equal(WasmSandbox.MaxCachedModules, _sandbox.CachedModules);
    }

    [Fact]
    public void A_digest_evicted_from_the_cache_is_checked_against_its_bytes_again()
    {
        var primes = WasmModules.Example("primes");
        var digest = ContentDigest.Of(primes);
        Load(primes);
        foreach (var i in Enumerable.Range(0, WasmSandbox.MaxCachedModules))
        {
            Load(ResultOf(i, times: 1));
        }

        var error = Assert.Throws<InvalidDataException>(() => _sandbox.Load(digest, WasmModules.Test("loop"), ModuleKind.Compute));

        Assert.Equal($"The module's bytes are not those of {digest}.", error.Message);
        Assert.Equal(digest, _sandbox.Load(digest, primes, ModuleKind.Compute).Digest);
    }

    [Fact]
    public void A_stopped_unit_that_never_checkpoints_ends_at_its_second_progress_call_after_the_stop()
    {
        var module = Load(WasmModules.Test("progress-only"));
        using var stop = new CancellationTokenSource();
        var context = new RecordingContext(onProgress: _ => stop.Cancel());

        Assert.Throws<OperationCanceledException>(() => Compute(module, "{}"u8, context: context, cancellationToken: stop.Token));

        // The module's own calls (an epoch may pass the gate too, with no fraction).
        Assert.Equal(2, context.Progress.Count(double.IsFinite));
    }

    [Fact]
    public void A_unit_stopped_before_it_starts_does_not_run()
    {
        var context = new RecordingContext();

        Assert.Throws<OperationCanceledException>(() =>
            Compute(Load(WasmModules.Test("progress-only")), "{}"u8, context: context, cancellationToken: new CancellationToken(canceled: true)));

        Assert.Empty(context.Progress);
    }

    [Fact]
    public void A_reducer_module_folds_results_into_the_accumulated_one()
    {
        foreach (var reducer in new[] { Load(WasmModules.Test("float-sum"), ModuleKind.Reducer), Load(WasmModules.Example("sum"), ModuleKind.Reducer) })
        {
            var first = _sandbox.Reduce(reducer, [], Float64(1.5), Limits);
            var second = _sandbox.Reduce(reducer, first, Float64(2.25), Limits);

            Assert.Equal(Float64(1.5), first);
            Assert.Equal(Float64(3.75), second);
        }
    }

    [Fact]
    public void A_failing_reducer_is_an_error_with_its_code()
    {
        var reducer = Load(WasmModules.Example("sum"), ModuleKind.Reducer);

        var error = Assert.Throws<WasmUnitException>(() => _sandbox.Reduce(reducer, Float64(1), [1, 2, 3], Limits));

        Assert.Equal("The module returned error code 1.", error.Message);
    }

    [Fact]
    public void A_module_is_compiled_once_per_digest()
    {
        var bytes = WasmModules.Example("primes");
        var digest = ContentDigest.Of(bytes);

        var first = _sandbox.Load(digest, bytes, ModuleKind.Compute);
        // Bytes are not even looked at once the digest is compiled: the worker verified them against it before.
        var second = _sandbox.Load(digest, [], ModuleKind.Compute);

        Assert.Equal(digest, second.Digest);
        Assert.Equal(
            Compute(first, """{"from":0,"to":1000}"""u8).Result,
            Compute(second, """{"from":0,"to":1000}"""u8).Result);
    }

    internal static byte[] Float64(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>A checkpoint as the host saves it: the fuel spent so far, then the module's state.</summary>
    private static byte[] Saved(long fuelSpent, byte[] state)
    {
        var saved = new byte[8 + state.Length];
        BinaryPrimitives.WriteInt64LittleEndian(saved, fuelSpent);
        state.CopyTo(saved, 8);
        return saved;
    }

    /// <summary>A module that gives the first <paramref name="length"/> bytes of its memory as its result, <paramref name="times"/> times.</summary>
    private static byte[] ResultOf(int length, int times) => Module.ConvertText(string.Format(CultureInfo.InvariantCulture, """
        (module
          (import "volunteer" "result" (func $result (param i32 i32)))
          (memory (export "memory") 2)
          (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "volunteer_compute") (param i32 i32) (result i32)
            (local $i i32)
            (loop $again
              (call $result (i32.const 0) (i32.const {0}))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const {1}))))
            (i32.const 0)))
        """, length, times));

    private WasmModule Load(byte[] bytes, ModuleKind kind = ModuleKind.Compute) => _sandbox.Load(ContentDigest.Of(bytes), bytes, kind);

    private WasmOutcome Compute(
        WasmModule module, ReadOnlySpan<byte> input, AppLimits? limits = null, RecordingContext? context = null, string[]? blobs = null,
        CancellationToken cancellationToken = default) =>
        _sandbox.Compute(module, input, limits ?? Limits, context ?? new RecordingContext(), blobs ?? [], cancellationToken);
}

using System.Buffers.Binary;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests.Wasm;

/// <summary>
/// A WebAssembly module written for these tests in the text format and assembled by Wasmtime, whose answer tells
/// where its run started from (the shared test modules of Volunteer.Testing serve the rest: echo, loop, trap).
/// </summary>
public static class TestModules
{
    /// <summary>How far <see cref="Counter"/> counts.</summary>
    public const int CounterEnd = 100_000;

    /// <summary>The sum of 0 .. <see cref="CounterEnd"/> − 1: what <see cref="Counter"/> reports, wherever it resumed.</summary>
    public const long CounterSum = (long)CounterEnd * (CounterEnd - 1) / 2;

    /// <summary>How often (in steps) <see cref="Counter"/> reports progress and asks whether to checkpoint.</summary>
    public const int CounterStride = 1_000;

    /// <summary>
    /// Sums the integers below <see cref="CounterEnd"/>, reporting progress every <see cref="CounterStride"/> steps and
    /// saving its position and sum as a checkpoint when told it is time; resumes from a checkpoint. Its result is 16
    /// bytes: the step it started from (0, or the checkpoint's) and the sum, both little-endian int64.
    /// </summary>
    public static byte[] Counter { get; } = Wasmtime.Module.ConvertText($$"""
        (module
          (import "volunteer" "result" (func $result (param i32 i32)))
          (import "volunteer" "progress" (func $progress (param f64)))
          (import "volunteer" "time_to_checkpoint" (func $time_to_checkpoint (result i32)))
          (import "volunteer" "checkpoint_save" (func $checkpoint_save (param i32 i32 f64)))
          (import "volunteer" "checkpoint_size" (func $checkpoint_size (result i32)))
          (import "volunteer" "checkpoint_read" (func $checkpoint_read (param i32) (result i32)))
          (memory (export "memory") 1)
          ;; The input goes at 1024, out of the way of the checkpoint (0..16) and the result (16..32).
          (func (export "volunteer_alloc") (param $len i32) (result i32) (i32.const 1024))
          (func (export "volunteer_compute") (param $input i32) (param $len i32) (result i32)
            (local $i i32) (local $start i32) (local $sum i64) (local $fraction f64)
            (if (i32.ne (call $checkpoint_size) (i32.const -1))
              (then
                (drop (call $checkpoint_read (i32.const 0)))
                (local.set $i (i32.load (i32.const 0)))
                (local.set $sum (i64.load (i32.const 8)))))
            (local.set $start (local.get $i))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (i32.const {{CounterEnd}})))
                (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $i))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (if (i32.eqz (i32.rem_u (local.get $i) (i32.const {{CounterStride}})))
                  (then
                    (local.set $fraction (f64.div (f64.convert_i32_u (local.get $i)) (f64.const {{CounterEnd}})))
                    (call $progress (local.get $fraction))
                    (if (call $time_to_checkpoint)
                      (then
                        (i32.store (i32.const 0) (local.get $i))
                        (i64.store (i32.const 8) (local.get $sum))
                        (call $checkpoint_save (i32.const 0) (i32.const 16) (local.get $fraction))))))
                (br $next)))
            (i64.store (i32.const 16) (i64.extend_i32_u (local.get $start)))
            (i64.store (i32.const 24) (local.get $sum))
            (call $result (i32.const 16) (i32.const 16))
            (i32.const 0)))
        """);

    /// <summary>The limits these tests register their modules with: a few MiB, fuel enough for the counter many times over.</summary>
    public static AppLimits Limits { get; } = new(4L * 1024 * 1024, 100_000_000);

    /// <summary>The counter's result for a run that started from <paramref name="start"/>.</summary>
    public static byte[] CounterResult(long start)
    {
        var result = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(result.AsSpan(0, 8), start);
        BinaryPrimitives.WriteInt64LittleEndian(result.AsSpan(8, 8), CounterSum);
        return result;
    }
}

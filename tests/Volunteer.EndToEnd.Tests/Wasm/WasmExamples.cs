using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests.Wasm;

/// <summary>The example WebAssembly apps as the build leaves them (workunits/wasm), and a test module written here.</summary>
public static class WasmExamples
{
    public static byte[] Primes => Example("primes");

    public static byte[] Integral => Example("integral");

    public static byte[] IntegralSum => Example("sum");

    /// <summary>Loops forever: only its fuel ends it.</summary>
    public static byte[] Forever { get; } = Wasmtime.Module.ConvertText("""
        (module
          (memory (export "memory") 1)
          (func (export "volunteer_alloc") (param $len i32) (result i32) (i32.const 1024))
          (func (export "volunteer_compute") (param $input i32) (param $len i32) (result i32)
            (loop $again (br $again))
            (i32.const 0)))
        """);

    private static byte[] Example(string name) =>
        File.ReadAllBytes(Path.Combine(RepoLayout.Root, "workunits", "wasm", "bin", "modules", $"{name}.wasm"));
}

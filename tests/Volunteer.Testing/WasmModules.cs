using Wasmtime;

namespace Volunteer.Testing;

/// <summary>
/// WebAssembly modules for tests: the example apps as the build compiled them (workunits/wasm), and test-only modules
/// written in WebAssembly text (WasmTestModules/*.wat: loop, grow, trap, wasi-fs, wasi-socket, no-compute,
/// wrong-signature, error-code, no-result, echo, blob, checkpoint, progress-only, bad-pointer, float-sum).
/// </summary>
public static class WasmModules
{
    /// <summary>Where the build puts the example modules.</summary>
    public static string ExamplesDirectory => Path.Combine(RepoLayout.Root, "workunits", "wasm", "bin", "modules");

    /// <summary>The path of an example module (primes, integral, sum).</summary>
    public static string ExamplePath(string name)
    {
        var path = Path.Combine(ExamplesDirectory, name + ".wasm");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"{path} is missing: the build compiles the examples (workunits/wasm/Volunteer.WasmExamples.csproj; clang comes from infra/ensure-wasm-toolchain.sh).", path);
    }

    /// <summary>The bytes of an example module (primes, integral, sum).</summary>
    public static byte[] Example(string name) => File.ReadAllBytes(ExamplePath(name));

    /// <summary>The bytes of a test-only module, compiled from its text.</summary>
    public static byte[] Test(string name) => Module.ConvertText(TestText(name));

    /// <summary>The WebAssembly text of a test-only module.</summary>
    public static string TestText(string name)
    {
        using var stream = typeof(WasmModules).Assembly.GetManifestResourceStream($"WasmTestModules/{name}.wat")
            ?? throw new ArgumentException($"There is no test module {name}.wat in tests/Volunteer.Testing/WasmTestModules.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

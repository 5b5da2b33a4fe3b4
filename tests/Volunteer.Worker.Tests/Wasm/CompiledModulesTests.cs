using Microsoft.Extensions.Logging.Abstractions;
using Volunteer.Apps.Wasm;
using Volunteer.Sdk;
using Volunteer.Testing;
using Volunteer.Worker.Agent;

namespace Volunteer.Worker.Tests.Wasm;

/// <summary>The agent process's compiled modules: each compiled once, the most recently used kept, bytes checked first.</summary>
public sealed class CompiledModulesTests : IDisposable
{
    private readonly WasmSandbox _sandbox = new();

    [Fact]
    public void A_module_is_compiled_once_and_its_bytes_are_read_only_then()
    {
        var modules = new CompiledModules(_sandbox, NullLogger<CompiledModules>.Instance);
        var echo = WasmModules.Test("echo");
        var reads = 0;

        var first = modules.Get(ContentDigest.Of(echo), () => { reads++; return echo; });
        var again = modules.Get(ContentDigest.Of(echo), () => { reads++; return echo; });

        Assert.Same(first, again);
        Assert.Equal((1, 1), (reads, modules.Compilations));
    }

    [Fact]
    public void Bytes_that_are_not_the_digests_are_refused_and_nothing_is_kept_of_them()
    {
        var modules = new CompiledModules(_sandbox, NullLogger<CompiledModules>.Instance);
        var digest = ContentDigest.Of(WasmModules.Test("echo"));

        var refused = Assert.Throws<InvalidDataException>(() => modules.Get(digest, () => WasmModules.Test("loop")));

        Assert.Equal($"The module's bytes on this host do not match its digest {digest}.", refused.Message);
        Assert.Equal(0, modules.Compilations);
        // The right bytes later are compiled: the refusal was not kept as the answer.
        modules.Get(digest, () => WasmModules.Test("echo"));
        Assert.Equal(1, modules.Compilations);
    }

    [Fact]
    public void Past_the_most_kept_the_least_recently_used_module_is_dropped_and_compiled_again_when_it_comes_back()
    {
        var modules = new CompiledModules(_sandbox, NullLogger<CompiledModules>.Instance);
        var versions = Enumerable.Range(0, CompiledModules.MaxModules + 1).Select(Version).ToList();
        foreach (var version in versions.Take(CompiledModules.MaxModules))
        {
            modules.Get(ContentDigest.Of(version), () => version);
        }
        // The first is used again: the second is now the least recently used.
        modules.Get(ContentDigest.Of(versions[0]), () => versions[0]);

        modules.Get(ContentDigest.Of(versions[^1]), () => versions[^1]);
        modules.Get(ContentDigest.Of(versions[0]), () => versions[0]);
        Assert.Equal(CompiledModules.MaxModules + 1, modules.Compilations);
        modules.Get(ContentDigest.Of(versions[1]), () => versions[1]);
        Assert.Equal(CompiledModules.MaxModules + 2, modules.Compilations);
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>A module of its own digest: the echo module with a data segment that names it.</summary>
    private static byte[] Version(int n) => Wasmtime.Module.ConvertText($$"""
        (module
          (import "volunteer" "result" (func $result (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "version {{n}}")
          (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "volunteer_compute") (param i32 i32) (result i32)
            (call $result (local.get 0) (local.get 1))
            (i32.const 0)))
        """);
}

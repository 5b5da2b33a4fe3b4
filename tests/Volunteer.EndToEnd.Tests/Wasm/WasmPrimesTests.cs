using System.Text;
using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Wasm;

/// <summary>
/// A scientist registers the example primes module through the job API; a real coordinator and two real workers then
/// count the primes below two million with it and with the built-in primes app, over the same ranges: every unit's
/// answer, and the total, are the same (and the total is the known count).
/// </summary>
public sealed class WasmPrimesTests(ITestOutputHelper output)
{
    /// <summary>The primes below 2·10^6 (a fact nobody here invented).</summary>
    private const long PrimesBelowTwoMillion = 148_933;

    private const int UnitSize = 250_000;
    private const int Units = 8;

    [Fact]
    public async Task The_wasm_primes_module_gives_the_built_in_apps_answer_for_every_unit_and_in_total()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var coordinator = cluster.Coordinator;
        using var project = new WasmProject(coordinator);
        var registered = await project.RegisterAsync("primes-wasm", "1.0.0", WasmModules.Example("primes"));
        cluster.Log($"registered {registered.Reference}: module {registered.Module} ({registered.ModuleSize} bytes), signature {registered.Signature}");
        var redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 2, maxTotalResults = 4 };

        var wasm = await cluster.SubmitAsync(coordinator, new
        {
            app = registered.Reference,
            parameters = new { ranges = new { from = 0, to = Units * UnitSize, unitSize = UnitSize } },
            redundancy,
        });
        var builtIn = await cluster.SubmitAsync(coordinator, new
        {
            app = "primes",
            parameters = new { from = 0, to = Units * UnitSize, unitSize = UnitSize },
            redundancy,
        });
        Assert.Equal((Units, Units), (wasm.UnitCount, builtIn.UnitCount));
        cluster.StartWorkers();
        var wasmDone = await cluster.WaitForJobAsync(coordinator, wasm.Id);
        var builtInDone = await cluster.WaitForJobAsync(coordinator, builtIn.Id);

        Assert.True(wasmDone.State == "Completed" && wasmDone.Failed == 0, $"The WASM job ended {wasmDone}\n{cluster.Diagnostics()}");
        Assert.True(builtInDone.State == "Completed" && builtInDone.Failed == 0, $"The built-in job ended {builtInDone}\n{cluster.Diagnostics()}");
        var (_, wasmApp, wasmResult) = await coordinator.GetResultAsync(wasm.Id);
        var (_, _, builtInResult) = await coordinator.GetResultAsync(builtIn.Id);
        Assert.Equal("primes-wasm@1.0.0", wasmApp);
        // Without a reducer module the job's result is the ordered list of the units' results, each as the module gave it.
        var wasmCounts = wasmResult.EnumerateArray().Select(unit => unit.GetProperty("primeCount").GetInt64()).ToList();
        var builtInCounts = WasmProject.CanonicalResults(coordinator, builtIn.Id)
            .Select(payload => JsonDocument.Parse(payload!).RootElement.GetProperty("primeCount").GetInt64())
            .ToList();
        cluster.Log($"per unit: wasm [{string.Join(", ", wasmCounts)}], built-in [{string.Join(", ", builtInCounts)}]");
        Assert.Equal(builtInCounts, wasmCounts);
        Assert.Equal(PrimesBelowTwoMillion, wasmCounts.Sum());
        Assert.Equal(PrimesBelowTwoMillion, builtInResult.GetProperty("primeCount").GetInt64());
        // Byte for byte what the built-in app reports, unit by unit.
        Assert.Equal(
            WasmProject.CanonicalResults(coordinator, builtIn.Id).Select(p => Encoding.UTF8.GetString(p!)),
            WasmProject.CanonicalResults(coordinator, wasm.Id).Select(p => Encoding.UTF8.GetString(p!)));
        // Each worker compiled the module once, however many of its units it ran.
        foreach (var worker in cluster.Workers)
        {
            Assert.Single(worker.Lines, l => l.Contains($"Module {registered.Module} compiled", StringComparison.Ordinal));
        }
    }
}

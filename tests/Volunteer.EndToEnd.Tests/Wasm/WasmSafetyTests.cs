using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Wasm;

/// <summary>
/// What keeps a volunteer's machine safe from a scientist's module, with real coordinator and worker processes: a
/// module that never ends is stopped by its fuel and its units fail with the reason, and a module whose bytes on the
/// volunteer's disk are not the ones the coordinator signed is never run.
/// </summary>
public sealed class WasmSafetyTests(ITestOutputHelper output)
{
    /// <summary>Fuel enough for a real unit of work, spent in well under a second by a loop.</summary>
    private const long Fuel = 20_000_000;

    [Fact]
    public async Task A_module_that_loops_forever_ends_as_failed_units_out_of_fuel_not_a_hang()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var coordinator = cluster.Coordinator;
        using var project = new WasmProject(coordinator);
        var registered = await project.RegisterAsync("forever", "1", WasmModules.Test("loop"), limits: new AppLimits(1024 * 1024, Fuel));

        var submitted = await cluster.SubmitAsync(coordinator, new
        {
            app = registered.Reference,
            parameters = new { units = new[] { 1, 2 } },
            // Each unit is tried once on each worker, then given up.
            redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 2, maxTotalResults = 2 },
        });
        cluster.StartWorkers();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);
        cluster.Log($"finished {finished}");

        Assert.Equal((2, 0L), (finished.Failed, finished.Assimilated));
        var errors = WasmProject.ReplicaErrors(coordinator, submitted.Id);
        cluster.Log($"errors: {string.Join(" | ", errors)}");
        Assert.Equal(4, errors.Count);
        Assert.All(errors, error => Assert.Contains("fuel", error, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_module_altered_on_the_volunteers_disk_is_not_run_and_the_next_unit_runs_a_fresh_copy()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var coordinator = cluster.Coordinator;
        var worker = cluster.Workers[0];
        using var project = new WasmProject(coordinator);
        var registered = await project.RegisterAsync("primes-wasm", "1.0.0", WasmModules.Example("primes"));
        var job = new
        {
            app = registered.Reference,
            parameters = new { ranges = new { from = 0, to = 1000, unitSize = 1000 } },
            redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 1, maxTotalResults = 1 },
        };

        var first = await cluster.SubmitAsync(coordinator, job);
        worker.Start();
        Assert.Equal("Completed", (await cluster.WaitForJobAsync(coordinator, first.Id)).State);
        await worker.TerminateAsync(TimeSpan.FromSeconds(30));
        // What malware or a failing disk could leave: the module's file in the agent's cache, same length, one byte changed.
        var file = Path.Combine(worker.ProjectDirectory, "blobs", registered.Module[ContentDigest.Prefix.Length..], "blob");
        var bytes = File.ReadAllBytes(file);
        Assert.Equal(WasmModules.Example("primes"), bytes);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(file, bytes);

        var second = await cluster.SubmitAsync(coordinator, job);
        worker.Start();
        var refused = await cluster.WaitForJobAsync(coordinator, second.Id);

        Assert.Equal(1, refused.Failed);
        Assert.Equal(
            [$"Not run: The module's bytes on this host do not match its digest {registered.Module}."],
            WasmProject.ReplicaErrors(coordinator, second.Id));
        Assert.DoesNotContain(worker.Lines, l => l.Contains($"Module {registered.Module} compiled", StringComparison.Ordinal));

        // The altered copy was dropped: the next unit fetches the module again, and runs it.
        var third = await cluster.SubmitAsync(coordinator, job);
        var computed = await cluster.WaitForJobAsync(coordinator, third.Id);

        Assert.Equal("Completed", computed.State);
        var (_, _, result) = await coordinator.GetResultAsync(third.Id);
        Assert.Equal(168, result[0].GetProperty("primeCount").GetInt64());
        Assert.Equal(WasmModules.Example("primes"), await File.ReadAllBytesAsync(file));
    }
}

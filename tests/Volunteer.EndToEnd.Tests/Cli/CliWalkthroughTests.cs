using Volunteer.Sdk;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cli;

/// <summary>
/// The README's walk-through, step by step as a scientist takes it, against a real coordinator and real workers:
/// write a function in C (Walkthrough/collatz.c), build it into a module with clang, register it with the volunteer
/// tool, submit a job, watch it and read its result; then the same with the example primes module.
/// </summary>
public sealed class CliWalkthroughTests(ITestOutputHelper output)
{
    /// <summary>Below 10^6, the start whose Collatz chain is longest, and its steps (a fact nobody here invented).</summary>
    private const long LongestChainStartBelowOneMillion = 837_799;
    private const long LongestChainStepsBelowOneMillion = 524;

    /// <summary>The primes below 10^6.</summary>
    private const long PrimesBelowOneMillion = 78_498;

    [Fact]
    public async Task A_function_written_in_c_is_built_registered_run_by_the_volunteers_and_its_result_read_and_so_is_the_example_primes_module()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var cli = new VolunteerCli(cluster.Coordinator,
            Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(cluster.Coordinator.DataDirectory)!, "scientist")).FullName, output);

        // 1. Write the function; 2. build the module, as the README says.
        File.Copy(Path.Combine(RepoLayout.Root, "tests", "Volunteer.EndToEnd.Tests", "Cli", "Walkthrough", "collatz.c"), Path.Combine(cli.WorkingDirectory, "collatz.c"));
        string[] clang =
        [
            "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-nostdlib", "-Wl,--no-entry", "-mbulk-memory",
            "-I", Path.Combine(RepoLayout.Root, "workunits", "wasm"), "-o", "collatz.wasm", "collatz.c",
        ];
        await using (var compiler = ChildProcess.Start("clang", "clang", clang, cli.WorkingDirectory, new Dictionary<string, string>()))
        {
            Assert.True(await compiler.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, compiler.Tail());
        }
        var module = await File.ReadAllBytesAsync(Path.Combine(cli.WorkingDirectory, "collatz.wasm"));

        // 3. Register it.
        var registered = await cli.RunAsync("apps", "register", "--name", "collatz", "--version", "1.0.0", "--module", "collatz.wasm");
        var again = await cli.RunAsync("apps", "register", "--name", "collatz", "--version", "1.0.0", "--module", "collatz.wasm");
        var listed = await cli.RunAsync("apps", "list");
        var shown = await cli.RunAsync("apps", "show", "collatz@1.0.0", "--json");

        registered.Expect(0);
        Assert.Equal("Registered collatz@1.0.0", registered.Output[0]);
        Assert.Contains($"module:     {ContentDigest.Of(module)} ({module.Length} bytes)", registered.Output);
        Assert.Contains("comparator: bitwise", registered.Output);
        var signature = shown.Json().GetProperty("signature").GetString()!;
        Assert.Contains($"signature:  {signature}", registered.Output);
        again.Expect(1, [], ["collatz@1.0.0 is already registered, and a registered version never changes: register a new version."]);
        Assert.StartsWith("collatz@1.0.0 bitwise 1 per unit 67108864 100000000000 ", string.Join(' ', listed.Output[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

        // 4. Submit a job (the app by name: its latest version); 5. watch it and read the result.
        cli.WriteFile("collatz-job.json", """{"app": "collatz", "parameters": {"ranges": {"from": 1, "to": 1000000, "unitSize": 100000}}}""");
        var submitted = await cli.RunAsync("jobs", "submit", "collatz-job.json");
        var jobId = Assert.Single(submitted.Output);
        cluster.StartWorkers();
        var watched = await cli.RunAsync("jobs", "watch", jobId, "--interval", "0.3");
        var result = await cli.RunAsync("jobs", "result", jobId);
        var job = await cli.RunAsync("jobs", "show", jobId, "--json");

        Assert.True(watched.ExitCode == 0, $"{watched}\n{cluster.Diagnostics()}");
        Assert.Equal($"Job {jobId} completed: 10 of 10 units done, 0 in progress, 0 failed.", watched.Output[^1]);
        Assert.Equal("collatz@1.0.0", job.Json().GetProperty("app").GetString());
        // Without a reducer module the result is the ordered list of the units' results, each the module's JSON.
        var units = result.Json().EnumerateArray().Select(u => (Start: u.GetProperty("start").GetInt64(), Steps: u.GetProperty("steps").GetInt64())).ToList();
        Assert.Equal(10, units.Count);
        Assert.All(units.Select((u, i) => (u.Start, i)), u => Assert.InRange(u.Start, 1 + u.i * 100_000L, (u.i + 1) * 100_000L));
        Assert.Equal((LongestChainStartBelowOneMillion, LongestChainStepsBelowOneMillion), units.MaxBy(u => u.Steps));

        // The example primes module, registered and run the same way.
        var primes = await cli.RunAsync("apps", "register", "--name", "primes-wasm", "--version", "1.0.0", "--module", WasmModules.ExamplePath("primes"), "--fuel", "50000000000");
        primes.Expect(0);
        Assert.Contains("limits:     memory 67108864 bytes, fuel 50000000000 per unit", primes.Output);
        cli.WriteFile("primes-job.json", """{"app": "primes-wasm@1.0.0", "parameters": {"ranges": {"from": 0, "to": 1000000, "unitSize": 100000}}}""");
        var primesJob = Assert.Single((await cli.RunAsync("jobs", "submit", "primes-job.json")).Output);
        var primesWatched = await cli.RunAsync("jobs", "watch", primesJob, "--interval", "0.3");
        var primesResult = await cli.RunAsync("jobs", "result", primesJob, "-o", "primes.json");
        var versions = await cli.RunAsync("apps", "list", "--json");

        Assert.True(primesWatched.ExitCode == 0, $"{primesWatched}\n{cluster.Diagnostics()}");
        primesResult.Expect(0, ["Wrote primes.json."]);
        using var counts = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cli.WorkingDirectory, "primes.json")));
        Assert.Equal(PrimesBelowOneMillion, counts.RootElement.EnumerateArray().Sum(u => u.GetProperty("primeCount").GetInt64()));
        Assert.Equal(["collatz@1.0.0", "primes-wasm@1.0.0"],
            versions.Json().EnumerateArray().Select(v => $"{v.GetProperty("name").GetString()}@{v.GetProperty("version").GetString()}").Order());
    }
}

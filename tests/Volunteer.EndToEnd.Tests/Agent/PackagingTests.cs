using System.Diagnostics;
using System.Globalization;
using Volunteer.EndToEnd.Tests.Wasm;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// The single-file executable a volunteer downloads (no .NET on the machine: it is started as itself, not through a
/// dotnet host), from a folder of no significance, against a real coordinator: it attaches, computes a job to its
/// right result (a built-in app's and a WebAssembly app's), stops on SIGTERM, and detach removes what it kept.
/// </summary>
[Collection(SingleFileWorkerCollection.Name)]
public sealed class PackagingTests(SingleFileWorker worker, ITestOutputHelper output)
{
    /// <summary>The primes below 10^6 (a fact nobody here invented).</summary>
    private const long PrimesBelowOneMillion = 78_498;

    /// <summary>The most a SIGTERM may take to stop the agent: past it the service's systemd unit (TimeoutStopSec=10) kills it.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_single_file_executable_attaches_computes_a_job_stops_on_SIGTERM_and_detaches()
    {
        output.WriteLine($"executable: {worker.Path} ({new FileInfo(worker.Path).Length} bytes), {worker.Origin}");
        var root = TestFolders.Create("packaged");
        var state = Path.Combine(root, "state");
        // Started from a folder holding nothing of the agent's: the executable needs no files beside it or in its working directory.
        var elsewhere = Directory.CreateDirectory(Path.Combine(root, "elsewhere")).FullName;
        var source = LoopbackSources.Next();
        var settings = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Worker__IdleSyncInterval"] = "00:00:00.500",
            ["Worker__RetryDelay"] = "00:00:00.200",
            ["Worker__MaxRetryDelay"] = "00:00:02",
            ["Worker__PeerPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        string[] where = ["--state-dir", state, "--source-address", source.ToString()];
        var coordinator = new CoordinatorProcess("coordinator", Path.Combine(root, "coordinator"), $"packaged-{Guid.NewGuid():N}",
            new Dictionary<string, string> { ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff " });
        ChildProcess? run = null;
        try
        {
            await coordinator.StartAsync();

            var attach = await CompleteAsync("attach", ["attach", coordinator.BaseAddress.ToString(), "--name", "packaged", .. where], settings, elsewhere);
            Assert.Contains(attach, line => line.StartsWith("Attached as worker ", StringComparison.Ordinal));
            Assert.Single(Identities(state));

            var job = await coordinator.SubmitJobAsync(new
            {
                app = "primes",
                parameters = new { from = 0, to = 1_000_000, unitSize = 250_000 },
                redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 3, maxTotalResults = 3 },
            });
            Assert.Equal(4, job.UnitCount);
            // And a scientist's WebAssembly app: the executable carries Wasmtime's native library inside and must load it.
            using (var project = new WasmProject(coordinator))
            {
                await project.RegisterAsync("primes-wasm", "1.0.0", WasmModules.Example("primes"));
            }
            var wasmJob = await coordinator.SubmitJobAsync(new
            {
                app = "primes-wasm@1.0.0",
                parameters = new { ranges = new { from = 0, to = 1_000_000, unitSize = 250_000 } },
                redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 3, maxTotalResults = 3 },
            });
            Assert.Equal(4, wasmJob.UnitCount);

            run = ChildProcess.Start("run", worker.Path, ["run", "--slots", "1", .. where], elsewhere, settings);
            var finished = await Eventually.WaitAsync(
                $"job {job.Id} to finish",
                async () => await coordinator.GetJobAsync(job.Id) is { IsFinished: true } done ? done : null,
                () => $"{coordinator.Tail(30)}\n{run.Tail(30)}");
            Assert.True(finished.State == "Completed", $"{finished}\n{run.Tail(30)}");
            Assert.Equal(4, finished.Assimilated);
            var (_, app, result) = await coordinator.GetResultAsync(job.Id);
            Assert.Equal("primes", app);
            Assert.Equal(PrimesBelowOneMillion, result.GetProperty("primeCount").GetInt64());
            var wasmFinished = await Eventually.WaitAsync(
                $"job {wasmJob.Id} to finish",
                async () => await coordinator.GetJobAsync(wasmJob.Id) is { IsFinished: true } done ? done : null,
                () => $"{coordinator.Tail(30)}\n{run.Tail(30)}");
            Assert.True(wasmFinished.State == "Completed", $"{wasmFinished}\n{run.Tail(30)}");
            var (_, _, units) = await coordinator.GetResultAsync(wasmJob.Id);
            Assert.Equal(PrimesBelowOneMillion, units.EnumerateArray().Sum(unit => unit.GetProperty("primeCount").GetInt64()));
            // A job completes as the coordinator commits the last report; the agent hears so in that sync's answer.
            await Eventually.UntilAsync(
                "the agent to log its 8 reports acknowledged",
                () => WorkerProcess.ReplicaKeys(run.Lines, "Report acknowledged").Count == 8,
                () => run.Tail(30),
                TimeSpan.FromSeconds(30));

            // For the README's figures, not asserted: what the agent costs in memory once it has computed a job.
            output.WriteLine(File.ReadLines($"/proc/{run.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)));
            var stopping = Stopwatch.StartNew();
            PosixSignals.Terminate(run.Id);
            var exitCode = await run.WaitForExitAsync(StopBound);
            output.WriteLine($"SIGTERM: exited with {exitCode} after {stopping.Elapsed.TotalSeconds:0.00} s");
            Assert.True(exitCode == 0, $"run exited with {exitCode} on SIGTERM.\n{run.Tail(30)}");

            var detach = await CompleteAsync("detach", ["detach", "--state-dir", state], settings, elsewhere);
            Assert.Contains(detach, line => line.StartsWith("Detached", StringComparison.Ordinal));
            Assert.Empty(Identities(state));
            // Nothing of the job is kept either: no lease, checkpoint or report file names it.
            Assert.Empty(Directory.Exists(state)
                ? Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).Contains(job.Id.ToString("N"), StringComparison.Ordinal))
                : []);
        }
        finally
        {
            if (run is not null)
            {
                output.WriteLine(run.Tail(60));
                await run.DisposeAsync();
            }
            output.WriteLine(coordinator.Tail(20));
            await coordinator.DisposeAsync();
            TestFolders.Delete(root, output);
        }
    }

    [Fact]
    public async Task It_runs_without_any_dotnet_installation_in_sight()
    {
        var elsewhere = TestFolders.Create("packaged-help");
        try
        {
            // No dotnet on the PATH and no DOTNET_ROOT to find one by: a self-contained executable needs neither.
            var lines = await CompleteAsync("help", ["--help"], new Dictionary<string, string>
            {
                ["PATH"] = "/nonexistent",
                ["DOTNET_ROOT"] = "/nonexistent",
            }, elsewhere);
            Assert.Contains(lines, line => line.Contains("attach", StringComparison.Ordinal));
        }
        finally
        {
            TestFolders.Delete(elsewhere, output);
        }
    }

    /// <summary>The identity files of the projects attached under <paramref name="state"/>, wherever the agent keeps them.</summary>
    private static List<string> Identities(string state) => Directory.Exists(state)
        ? [.. Directory.EnumerateFiles(state, "identity.json", SearchOption.AllDirectories)]
        : [];

    /// <summary>Runs one command of the executable to its end; fails unless it exits 0. Returns the lines it wrote.</summary>
    private async Task<IReadOnlyList<string>> CompleteAsync(string name, string[] arguments, IReadOnlyDictionary<string, string> settings, string workingDirectory)
    {
        await using var command = ChildProcess.Start(name, worker.Path, arguments, workingDirectory, settings);
        var exitCode = await command.WaitForExitAsync(CommandTimeout);
        output.WriteLine(command.Tail(20));
        Assert.True(exitCode == 0, $"volunteer-worker {string.Join(' ', arguments)} exited with {exitCode}.\n{command.Tail()}");
        return command.Lines;
    }
}

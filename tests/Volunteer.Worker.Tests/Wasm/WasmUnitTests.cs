using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Peers;
using static Volunteer.Worker.Tests.Peers.TestBlobs;

namespace Volunteer.Worker.Tests.Wasm;

/// <summary>
/// Units of WebAssembly apps through the agent's unit runner, with the real sandbox (Wasmtime) and a scripted
/// coordinator that serves the module's chunks: only a module the coordinator signed, as the leased app, whose bytes
/// match the signed digest, is run; it is compiled once; its failures are the unit's error reports; its fuel is reported.
/// </summary>
public sealed class WasmUnitTests : IDisposable
{
    private const string Name = "counter";
    private const string Version = "1.0";

    private static readonly byte[] Echo = WasmModules.Test("echo");
    private static readonly byte[] Loop = WasmModules.Test("loop");
    private static readonly byte[] Trap = WasmModules.Test("trap");

    private readonly TempDirectory _state = new();
    private readonly List<IDisposable> _disposables = [];

    [Fact]
    public async Task A_signed_module_is_fetched_compiled_and_run_and_its_result_and_fuel_are_reported()
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        var assignment = Assignment(TestModules.Counter);

        var report = await Runner(services).RunAsync(assignment, new UnitRun(), CancellationToken.None);

        var expected = TestModules.CounterResult(start: 0);
        Assert.True(report.Outcome == ReportOutcome.Success, report.Error);
        Assert.Equal((ContentDigest.Of(expected), (long)expected.Length, Convert.ToBase64String(expected)), (report.Digest, report.Size, report.Payload));
        Assert.True(report.Fuel is > 0 and < 100_000_000, $"Fuel reported: {report.Fuel}");
        // The module came from the coordinator (no peer holds it), in its one chunk, and stays in the cache.
        Assert.Single(coordinator.Requests);
        Assert.True(services.GetRequiredService<BlobCache>().Holds(assignment.Module!.Digest));
    }

    [Fact]
    public async Task The_fuel_reported_is_what_the_unit_burned_the_same_on_every_run_of_it()
    {
        var services = Services(Serving(TestModules.Counter));

        var first = await Runner(services).RunAsync(Assignment(TestModules.Counter, replica: 0), new UnitRun(), CancellationToken.None);
        var second = await Runner(services).RunAsync(Assignment(TestModules.Counter, replica: 1), new UnitRun(), CancellationToken.None);
        var builtIn = await Runner(services).RunAsync(
            new Assignment(Guid.NewGuid(), 0, 0, "primes", Json("""{"from":0,"to":1000}"""), DateTimeOffset.MaxValue), new UnitRun(), CancellationToken.None);

        Assert.NotNull(first.Fuel);
        Assert.Equal(first.Fuel, second.Fuel);
        // A built-in app burns no fuel: its reports say nothing of it.
        Assert.Equal((ReportOutcome.Success, null), (builtIn.Outcome, builtIn.Fuel));
    }

    [Fact]
    public async Task The_module_gets_its_units_input_as_json_text_or_a_json_strings_content()
    {
        var services = Services(Serving(Echo));

        var json = await Runner(services).RunAsync(Assignment(Echo, input: """{"from": 1, "to": 2}"""), new UnitRun(), CancellationToken.None);
        var text = await Runner(services).RunAsync(Assignment(Echo, input: "\"ACGT\\u00e9\""), new UnitRun(), CancellationToken.None);

        Assert.Equal("""{"from": 1, "to": 2}""", Encoding.UTF8.GetString(Convert.FromBase64String(json.Payload!)));
        Assert.Equal("ACGTé", Encoding.UTF8.GetString(Convert.FromBase64String(text.Payload!)));
    }

    public static TheoryData<string> Tamperings => ["limits", "name", "version", "digest", "signature bytes", "stranger's key", "no signature"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task A_module_whose_signature_does_not_verify_is_neither_fetched_nor_run(string tampering)
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        var signed = Assignment(TestModules.Counter);
        var module = signed.Module!;
        var tampered = tampering switch
        {
            // More fuel and memory than the scientist registered: what a proxy would raise to make a host work harder.
            "limits" => module with { Limits = module.Limits with { FuelPerUnit = module.Limits.FuelPerUnit * 10 } },
            "name" => module with { Name = "other" },
            "version" => module with { Version = "2.0" },
            // Another module's bytes under this app's signature.
            "digest" => module with { Source = Source(Loop) },
            "signature bytes" => module with { Signature = Flipped(module.Signature) },
            "stranger's key" => module with
            {
                Signature = CoordinatorSignature.Module(CoordinatorKeys.Stranger, Name, Version, module.Digest, module.Limits),
            },
            "no signature" => module with { Signature = "" },
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };
        // Leased as the app the module claims to be, so that only the signature tells.
        var assignment = signed with { App = AppReference.Of(tampered.Name, tampered.Version), Module = tampered };

        var report = await Runner(services).RunAsync(assignment, new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, report.Outcome);
        Assert.Equal($"Not run: module {tampered.Digest} does not carry the coordinator's signature over its digest, name, version and limits.", report.Error);
        AssertNothingFetchedOrCompiled(services, coordinator, tampered.Digest);
    }

    [Fact]
    public async Task A_module_signed_as_another_app_than_the_one_leased_is_neither_fetched_nor_run()
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        var assignment = Assignment(TestModules.Counter) with { App = AppReference.Of(Name, "0.9") };

        var report = await Runner(services).RunAsync(assignment, new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, report.Outcome);
        Assert.Equal($"Not run: module {assignment.Module!.Digest} is signed as counter@1.0, not as counter@0.9.", report.Error);
        AssertNothingFetchedOrCompiled(services, coordinator, assignment.Module.Digest);
    }

    [Fact]
    public async Task A_module_whose_bytes_do_not_match_the_signed_digest_is_not_run()
    {
        // The coordinator (or whoever stands in its place) serves another module's bytes for the signed digest.
        var coordinator = new ScriptedHandler(ServeChunks(Padded(Loop, TestModules.Counter.Length)));
        var services = Services(coordinator);
        var assignment = Assignment(TestModules.Counter);

        var report = await Runner(services).RunAsync(assignment, new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, report.Outcome);
        Assert.StartsWith($"Could not fetch module {assignment.Module!.Digest}: ", report.Error, StringComparison.Ordinal);
        Assert.NotEmpty(coordinator.Requests);
        Assert.False(services.GetRequiredService<BlobCache>().Holds(assignment.Module.Digest));
        Assert.Equal(0, services.GetRequiredService<CompiledModules>().Compilations);
    }

    [Fact]
    public async Task A_module_altered_in_the_cache_after_its_fetch_is_not_run_and_is_dropped_so_the_next_unit_fetches_it_again()
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        var cache = services.GetRequiredService<BlobCache>();
        var manifest = Hold(cache, TestModules.Counter);
        // Same length, other bytes: the cache's own bookkeeping sees nothing wrong.
        var file = Path.Combine(_state.Path, BlobCache.FolderName, manifest.Digest[ContentDigest.Prefix.Length..], "blob");
        File.WriteAllBytes(file, Padded(Loop, TestModules.Counter.Length));

        var refused = await Runner(services).RunAsync(Assignment(TestModules.Counter, replica: 0), new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, refused.Outcome);
        Assert.Equal($"Not run: The module's bytes on this host do not match its digest {manifest.Digest}.", refused.Error);
        Assert.Empty(coordinator.Requests);
        Assert.False(cache.Holds(manifest.Digest));
        Assert.Equal(0, services.GetRequiredService<CompiledModules>().Compilations);

        var next = await Runner(services).RunAsync(Assignment(TestModules.Counter, replica: 1), new UnitRun(), CancellationToken.None);

        Assert.True(next.Outcome == ReportOutcome.Success, next.Error);
        Assert.Single(coordinator.Requests);
        Assert.Equal(TestModules.Counter, Read(cache.OpenRead(manifest.Digest)!));
    }

    [Fact]
    public async Task A_module_is_fetched_and_compiled_once_however_many_units_run_it_at_once()
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        var runner = Runner(services);

        var reports = await Task.WhenAll(Enumerable.Range(0, 8).Select(unit =>
            Task.Run(() => runner.RunAsync(Assignment(TestModules.Counter, unit: unit), new UnitRun(), CancellationToken.None))));

        Assert.All(reports, r => Assert.True(r.Outcome == ReportOutcome.Success, r.Error));
        Assert.Single(reports.Select(r => r.Digest).Distinct());
        Assert.Equal(1, services.GetRequiredService<CompiledModules>().Compilations);
        Assert.Single(coordinator.Requests);
    }

    [Fact]
    public async Task A_unit_that_runs_out_of_fuel_becomes_an_error_report_with_the_sandboxs_message()
    {
        var services = Services(Serving(Loop));
        var limits = TestModules.Limits with { FuelPerUnit = 1_000_000 };

        var report = await Runner(services).RunAsync(Assignment(Loop, limits: limits), new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, report.Outcome);
        Assert.Equal("The module ran out of fuel after 1,000,000 units of fuel, its limit per unit (the app version's FuelPerUnit).", report.Error);
        Assert.Null(report.Digest);
    }

    [Fact]
    public async Task A_unit_whose_module_traps_becomes_an_error_report_with_the_trap()
    {
        var services = Services(Serving(Trap));

        var report = await Runner(services).RunAsync(Assignment(Trap), new UnitRun(), CancellationToken.None);

        Assert.Equal((ReportOutcome.Error, "The module trapped: wasm trap: integer divide by zero"), (report.Outcome, report.Error));
    }

    [Fact]
    public async Task A_stopped_unit_saves_its_checkpoint_and_the_next_run_resumes_from_it_with_the_same_answer()
    {
        var services = Services(Serving(TestModules.Counter));
        var governor = services.GetRequiredService<ComputeGovernor>();
        var runner = Runner(services);
        var assignment = Assignment(TestModules.Counter);
        using var stop = new CancellationTokenSource();
        var stopped = new UnitRun();
        // Paused by the owner: the unit is held in its first progress report, CounterStride steps in.
        governor.PauseByOwner(null);

        var running = Task.Run(() => runner.RunAsync(assignment, stopped, stop.Token));
        await UntilAsync(() => stopped.FractionDone > 0);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        const double fraction = (double)TestModules.CounterStride / TestModules.CounterEnd;
        Assert.Equal(fraction, stopped.CheckpointFraction);
        governor.ResumeByOwner();

        var resumed = new UnitRun();
        var report = await runner.RunAsync(assignment, resumed, CancellationToken.None);

        Assert.True(report.Outcome == ReportOutcome.Success, report.Error);
        Assert.Equal(TestModules.CounterResult(start: TestModules.CounterStride), Convert.FromBase64String(report.Payload!));
        Assert.Equal(fraction, resumed.ResumedFrom);
    }

    [Fact]
    public async Task A_module_whose_memory_limit_is_above_the_owners_per_unit_limit_is_not_fetched_nor_run_and_one_within_it_is()
    {
        var coordinator = Serving(TestModules.Counter);
        var services = Services(coordinator);
        services.GetRequiredService<ComputeGovernor>().Apply(new ComputeLimits { MemoryPerUnitBytes = 16L * 1024 * 1024 });
        var big = Assignment(TestModules.Counter, limits: TestModules.Limits with { MemoryBytes = 64L * 1024 * 1024 });

        var refused = await Runner(services).RunAsync(big, new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, refused.Outcome);
        Assert.Equal("Not run on this host: the unit needs 64 MiB of memory, above the owner's limit of 16 MiB per unit.", refused.Error);
        AssertNothingFetchedOrCompiled(services, coordinator, big.Module!.Digest);

        var within = await Runner(services).RunAsync(Assignment(TestModules.Counter), new UnitRun(), CancellationToken.None);

        Assert.True(within.Outcome == ReportOutcome.Success, within.Error);
    }

    public void Dispose()
    {
        _disposables.ForEach(d => d.Dispose());
        _state.Dispose();
    }

    private static void AssertNothingFetchedOrCompiled(ServiceProvider services, ScriptedHandler coordinator, string digest)
    {
        Assert.Empty(coordinator.Requests);
        Assert.False(services.GetRequiredService<BlobCache>().Holds(digest));
        Assert.Equal(0, services.GetRequiredService<CompiledModules>().Compilations);
    }

    private static UnitRunner Runner(ServiceProvider services) => services.GetRequiredService<UnitRunner>();

    private ServiceProvider Services(ScriptedHandler coordinator)
    {
        var identity = AttachedWorker.Identity();
        var key = identity.LoadKey();
        var options = new WorkerOptions
        {
            StateDirectory = _state.Path,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        var services = AgentUnderTest.Services(options, identity, key, coordinator, TimeProvider.System);
        _disposables.Add(services);
        _disposables.Add(key);
        return services;
    }

    /// <summary>A unit of the module's app, leased with the module as the coordinator signs it.</summary>
    private static Assignment Assignment(byte[] module, AppLimits? limits = null, string input = "{}", long unit = 0, int replica = 0)
    {
        var source = Source(module);
        var signedLimits = limits ?? TestModules.Limits;
        var signature = CoordinatorSignature.Module(CoordinatorKeys.Key, Name, Version, source.Manifest.Digest, signedLimits);
        return new Assignment(Job, unit, replica, AppReference.Of(Name, Version), Json(input), DateTimeOffset.MaxValue,
            Module: new AppModule(Name, Version, signedLimits, signature, source));
    }

    private static readonly Guid Job = Guid.Parse("22222222-0000-0000-0000-000000000000");

    private static BlobSource Source(byte[] module)
    {
        var manifest = BlobManifest.Of(module);
        return new BlobSource(manifest, CoordinatorKeys.Ticket(manifest.Digest, DateTimeOffset.UtcNow.AddHours(1), Job, AttachedWorker.Identity().WorkerId), []);
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>A coordinator that serves the chunks of <paramref name="content"/>, whatever blob is asked for.</summary>
    private static ScriptedHandler Serving(byte[] content) => new(ServeChunks(content));

    private static ScriptedHandler.Step ServeChunks(byte[] content) => (request, _) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(ChunkOf(content, int.Parse(request.RequestUri!.Segments[^1], System.Globalization.CultureInfo.InvariantCulture))),
        });

    /// <summary><paramref name="bytes"/> cut or padded with zeros to <paramref name="length"/>.</summary>
    private static byte[] Padded(byte[] bytes, int length)
    {
        var padded = new byte[length];
        bytes.AsSpan(0, Math.Min(bytes.Length, length)).CopyTo(padded);
        return padded;
    }

    private static string Flipped(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[^1] ^= 1;
        return Convert.ToBase64String(bytes);
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }
}

using System.Text;
using Volunteer.Apps.Primes;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.WorkUnits.Tests.Wasm;

/// <summary>The example primes.wasm against the built-in primes app: the same bytes for every range.</summary>
public sealed class WasmPrimesTests : IDisposable
{
    private static readonly AppLimits Limits = new(64 * 1024 * 1024, 100_000_000_000);

    private readonly WasmSandbox _sandbox = new();
    private readonly WasmModule _primes;

    public WasmPrimesTests()
    {
        var bytes = WasmModules.Example("primes");
        _primes = _sandbox.Load(ContentDigest.Of(bytes), bytes, ModuleKind.Compute);
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void The_primes_below_a_million_number_78498()
    {
        var outcome = Compute(Json.Unit(0, 1_000_000));

        Assert.Equal("""{"primeCount":78498}""", Encoding.UTF8.GetString(outcome.Result));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(0, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    [InlineData(1, 100)]
    [InlineData(0, 1_000_000)]
    [InlineData(999_983, 1_000_003)]
    [InlineData(1_000_003, 5_000_000)]
    [InlineData(1_000_000_000, 1_002_000_000)]
    [InlineData(1_000_000_000_000, 1_000_000_100_000)]
    [InlineData(9_999_999_999_000_000, 10_000_000_000_000_000)]
    public async Task Its_results_equal_the_built_in_apps_byte_for_byte(long from, long to)
    {
        var unit = Json.Unit(from, to);

        var native = await new PrimesApp().Computer.ComputeAsync(new UnitInput(0, unit), new RecordingContext(), CancellationToken.None);
        var wasm = Compute(unit);

        Assert.Equal(Encoding.UTF8.GetString(native), Encoding.UTF8.GetString(wasm.Result));
    }

    [Fact]
    public void A_unit_stopped_midway_resumes_from_its_checkpoint_to_the_same_count()
    {
        var unit = Json.Unit(0, 100_000_000);
        using var stop = new CancellationTokenSource();
        var stopped = new RecordingContext(onProgress: fraction =>
        {
            if (fraction > 0.3)
            {
                stop.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(() => _sandbox.Compute(_primes, Encoding.UTF8.GetBytes(unit), Limits, stopped, [], stop.Token));
        var checkpoint = Assert.Single(stopped.SavedCheckpoints);
        // After the host's 8 bytes (the fuel spent), the module's own state.
        var (next, countSoFar) = Checkpoints.Decode(checkpoint[8..]);
        var resumed = new RecordingContext(checkpoint: checkpoint);
        var outcome = _sandbox.Compute(_primes, Encoding.UTF8.GetBytes(unit), Limits, resumed, [], CancellationToken.None);

        Assert.Equal(PrimeSieve.CountPrimes(0, next), countSoFar);
        Assert.InRange(stopped.CheckpointFractions[0], 0.3, 0.4);
        Assert.Equal("""{"primeCount":5761455}""", Encoding.UTF8.GetString(outcome.Result));
        Assert.Equal((double)next / 100_000_000, resumed.Progress.First(double.IsFinite));
    }

    [Fact]
    public async Task Units_run_in_parallel_in_one_sandbox_each_in_its_own_store()
    {
        long[] ends = [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000, 7_000_000, 8_000_000];

        var results = await Task.WhenAll(ends.Select(to => Task.Run(() => Encoding.UTF8.GetString(Compute(Json.Unit(0, to)).Result))));

        Assert.Equal(ends.Select(to => $$"""{"primeCount":{{PrimeSieve.CountPrimes(0, to)}}}"""), results);
    }

    [Fact]
    public void A_checkpoint_of_another_unit_is_ignored()
    {
        // As the host saves it: the fuel spent, then the module's state.
        byte[] foreign = [.. new byte[8], .. Checkpoints.Encode(5_000_000, 348_513)];

        var outcome = _sandbox.Compute(_primes, Encoding.UTF8.GetBytes(Json.Unit(0, 1_000_000)), Limits, new RecordingContext(checkpoint: foreign), [], CancellationToken.None);

        Assert.Equal("""{"primeCount":78498}""", Encoding.UTF8.GetString(outcome.Result));
    }

    [Theory]
    [InlineData("""{"from":5,"to":5}""")]
    [InlineData("""{"from":-1,"to":5}""")]
    [InlineData("""{"to":5}""")]
    [InlineData("""{"from":0,"to":10000000000000001}""")]
    public void An_input_that_is_no_range_is_error_code_1(string unit)
    {
        var error = Assert.Throws<WasmUnitException>(() => Compute(unit));

        Assert.Equal("The module returned error code 1.", error.Message);
    }

    [Fact]
    public void Too_little_memory_for_the_sieving_primes_is_error_code_2()
    {
        // Sieving near 10^16 needs the primes below 10^8: tens of megabytes, more than a 4 MiB cap.
        var error = Assert.Throws<WasmUnitException>(() =>
            _sandbox.Compute(_primes, Encoding.UTF8.GetBytes(Json.Unit(9_999_999_999_000_000, 10_000_000_000_000_000)), new AppLimits(4 * 1024 * 1024, Limits.FuelPerUnit), new RecordingContext(), [], CancellationToken.None));

        Assert.Equal("The module returned error code 2.", error.Message);
    }

    private WasmOutcome Compute(string unit) =>
        _sandbox.Compute(_primes, Encoding.UTF8.GetBytes(unit), Limits, new RecordingContext(), [], CancellationToken.None);
}

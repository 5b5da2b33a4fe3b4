using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Wasmtime;

namespace Volunteer.WorkUnits.Tests.Wasm;

public sealed class WasmScienceAppTests : IDisposable
{
    private static readonly string BlobA = ContentDigest.Of("a"u8);
    private static readonly string BlobB = ContentDigest.Of("b"u8);

    private readonly WasmSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    // ---- Splitting ----

    [Fact]
    public void A_list_of_units_gives_each_value_as_written_to_one_unit()
    {
        var app = App();
        var parameters = Json.Parse("""{"units": [{"n": 1,  "x": [1, 2]}, "text", 42, null]}""");

        Assert.Equal(4, app.Splitter.Plan(parameters).UnitCount);
        Assert.Equal(
            [new(0, """{"n": 1,  "x": [1, 2]}"""), new(1, "\"text\""), new(2, "42"), new(3, "null")],
            app.Splitter.Split(parameters, 0).ToList());
        Assert.Equal([new UnitInput(3, "null")], app.Splitter.Split(parameters, 3).ToList());
    }

    [Fact]
    public void Ranges_give_half_open_units_of_unit_size_the_last_maybe_shorter()
    {
        var app = App();
        var parameters = Json.Parse("""{"ranges": {"from": -5, "to": 20, "unitSize": 10}}""");

        Assert.Equal(3, app.Splitter.Plan(parameters).UnitCount);
        Assert.Equal(
            [new(0, """{"from":-5,"to":5}"""), new(1, """{"from":5,"to":15}"""), new(2, """{"from":15,"to":20}""")],
            app.Splitter.Split(parameters, 0).ToList());
        Assert.Equal([new UnitInput(2, """{"from":15,"to":20}""")], app.Splitter.Split(parameters, 2).ToList());
    }

    [Fact]
    public void A_range_spanning_more_than_a_long_splits_without_overflow()
    {
        var app = App(reducer: WasmModules.Example("sum"));
        var parameters = Json.Parse($$$"""{"ranges": {"from": {{{long.MinValue}}}, "to": {{{long.MaxValue}}}, "unitSize": {{{long.MaxValue}}}}}""");

        Assert.Equal(3, app.Splitter.Plan(parameters).UnitCount);
        Assert.Equal(
            [
                $$"""{"from":{{long.MinValue}},"to":-1}""",
                $$"""{"from":-1,"to":{{long.MaxValue - 1}}}""",
                $$"""{"from":{{long.MaxValue - 1}},"to":{{long.MaxValue}}}""",
            ],
            app.Splitter.Split(parameters, 0).Select(unit => unit.Json).ToList());
    }

    [Theory]
    [InlineData("""{}""", "The parameters of a WebAssembly app give its units either as a list, \"units\": [v0, v1, …], or as integer ranges, \"ranges\": {\"from\": a, \"to\": b, \"unitSize\": n}: exactly one of the two.")]
    [InlineData("""{"units": [1], "ranges": {"from": 0, "to": 1, "unitSize": 1}}""", "The parameters of a WebAssembly app give its units either as a list, \"units\": [v0, v1, …], or as integer ranges, \"ranges\": {\"from\": a, \"to\": b, \"unitSize\": n}: exactly one of the two.")]
    [InlineData("""[1, 2]""", "Invalid parameters of a WebAssembly app: expected a JSON object with the fields units, ranges, blobs.")]
    [InlineData("""{"unit": [1]}""", "Invalid parameters of a WebAssembly app: unknown field 'unit'; the fields are units, ranges, blobs (case-sensitive).")]
    [InlineData("""{"units": {"a": 1}}""", "units must be a JSON array of the units' inputs, one value per unit.")]
    [InlineData("""{"units": []}""", "units must hold at least one unit's input.")]
    [InlineData("""{"ranges": {"from": 0, "to": 10}}""", "Invalid ranges: the field unitSize is missing.")]
    [InlineData("""{"ranges": {"from": 0, "to": 10.5, "unitSize": 1}}""", "Invalid ranges: the field to must be an integer in the 64-bit range.")]
    [InlineData("""{"ranges": {"from": 10, "to": 10, "unitSize": 1}}""", "ranges.to must be greater than ranges.from (the range is [from, to), half-open).")]
    [InlineData("""{"ranges": {"from": 0, "to": 10, "unitSize": 0}}""", "ranges.unitSize must be at least 1.")]
    [InlineData("""{"units": [1], "blobs": "sha256:00"}""", "blobs must be a JSON array of blob digests (\"sha256:…\"), the shared inputs in the order the module reads them.")]
    [InlineData("""{"units": [1], "blobs": ["sha256:00"]}""", "blobs[0] must be a blob digest, \"sha256:\" and 64 lowercase hex digits, as the blob upload answered.")]
    public void Bad_parameters_are_refused_with_a_message_saying_what_is_wrong(string parameters, string message)
    {
        var error = Assert.Throws<InvalidJobParametersException>(() => App().Splitter.Plan(Json.Parse(parameters)));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_blob_named_twice_is_refused()
    {
        var error = Assert.Throws<InvalidJobParametersException>(() =>
            App().Splitter.Plan(Json.Parse($$"""{"units": [1], "blobs": ["{{BlobA}}", "{{BlobA}}"]}""")));

        Assert.Equal($"blobs names {BlobA} twice.", error.Message);
    }

    [Fact]
    public void Without_a_reducer_a_job_has_at_most_ten_thousand_units()
    {
        var app = App();

        Assert.Equal(10_000, app.Splitter.Plan(Json.Parse("""{"ranges": {"from": 0, "to": 10000, "unitSize": 1}}""")).UnitCount);
        Assert.Equal(10_000, app.Splitter.Plan(Json.Parse($$"""{"units": [{{string.Join(",", Enumerable.Repeat("0", 10_000))}}]}""")).UnitCount);
        var ranges = Assert.Throws<InvalidJobParametersException>(() =>
            app.Splitter.Plan(Json.Parse("""{"ranges": {"from": 0, "to": 1000000, "unitSize": 99}}""")));
        var list = Assert.Throws<InvalidJobParametersException>(() =>
            app.Splitter.Plan(Json.Parse($$"""{"units": [{{string.Join(",", Enumerable.Repeat("0", 10_001))}}]}""")));

        Assert.Equal(
            "The job has 10102 units, but an app without a reducer module has the ordered list of its unit results as the job's result, so a job of it has at most 10000 units (register the app with a reducer module for more); this range needs a unitSize of at least 100.",
            ranges.Message);
        Assert.StartsWith("The job has 10001 units, but an app without a reducer module", list.Message);
    }

    [Fact]
    public void With_a_reducer_a_job_may_have_many_more_units()
    {
        var app = App(reducer: WasmModules.Example("sum"));

        Assert.Equal(1_000_000, app.Splitter.Plan(Json.Parse("""{"ranges": {"from": 0, "to": 1000000, "unitSize": 1}}""")).UnitCount);
        var error = Assert.Throws<InvalidJobParametersException>(() =>
            app.Splitter.Plan(Json.Parse("""{"ranges": {"from": 0, "to": 2000000000, "unitSize": 1}}""")));
        Assert.Equal("The job has 2000000000 units, but a job has at most 1000000000 units; this range needs a unitSize of at least 2.", error.Message);
    }

    [Fact]
    public void The_jobs_blobs_are_its_input_blobs_in_order()
    {
        var app = App();

        Assert.Equal([BlobB, BlobA], app.InputBlobs(Json.Parse($$"""{"units": [1], "blobs": ["{{BlobB}}", "{{BlobA}}"]}""")));
        Assert.Empty(app.InputBlobs(Json.Parse("""{"units": [1]}""")));
    }

    // ---- Input bytes ----

    [Theory]
    [InlineData("""{"from":0,"to":10}""", """{"from":0,"to":10}""")]
    [InlineData("""{"n": 1,  "x": [1, 2]}""", """{"n": 1,  "x": [1, 2]}""")]
    [InlineData("42", "42")]
    [InlineData("null", "null")]
    [InlineData("\"ACGT\\nTTGA \\u00e9\"", "ACGT\nTTGA é")]
    public void A_units_input_bytes_are_its_json_text_or_a_strings_content(string unitJson, string bytes) =>
        Assert.Equal(Encoding.UTF8.GetBytes(bytes), WasmInput.Bytes(unitJson));

    // ---- Comparing ----

    [Fact]
    public void Tolerance_results_agree_within_absolute_plus_relative_tolerance_and_not_beyond()
    {
        var comparator = new Float64ToleranceComparator(new AppComparator(ComparatorKind.Tolerance, Absolute: 1e-9, Relative: 1e-6));

        Assert.True(comparator.Agree(Float64s(1.0, 1000.0), Float64s(1.0 + 1e-9, 1000.0 + 1e-3)));
        Assert.True(comparator.Agree(Float64s(0.0), Float64s(-1e-9)));
        Assert.False(comparator.Agree(Float64s(0.0), Float64s(2e-9)));
        Assert.False(comparator.Agree(Float64s(1.0, 1000.0), Float64s(1.0, 1000.0 + 2e-3)));
    }

    [Fact]
    public void A_perturbation_in_the_last_bits_agrees_under_a_tight_tolerance()
    {
        var comparator = new Float64ToleranceComparator(new AppComparator(ComparatorKind.Tolerance, Absolute: 0, Relative: 1e-12));
        var pi = Math.PI;
        var perturbed = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(pi) ^ 0b11);

        Assert.NotEqual(pi, perturbed);
        Assert.True(comparator.Agree(Float64s(pi), Float64s(perturbed)));
        Assert.False(comparator.Agree(Float64s(pi), Float64s(pi * (1 + 1e-9))));
    }

    [Fact]
    public void NaN_agrees_only_with_NaN_and_an_infinity_only_with_itself()
    {
        var comparator = new Float64ToleranceComparator(new AppComparator(ComparatorKind.Tolerance, Absolute: 1e300, Relative: 1));

        Assert.True(comparator.Agree(Float64s(double.NaN), Float64s(-double.NaN)));
        Assert.False(comparator.Agree(Float64s(double.NaN), Float64s(0)));
        Assert.False(comparator.Agree(Float64s(1), Float64s(double.NaN)));
        Assert.True(comparator.Agree(Float64s(double.PositiveInfinity), Float64s(double.PositiveInfinity)));
        Assert.False(comparator.Agree(Float64s(double.PositiveInfinity), Float64s(double.MaxValue)));
        Assert.False(comparator.Agree(Float64s(double.PositiveInfinity), Float64s(double.NegativeInfinity)));
    }

    [Fact]
    public void Arrays_of_different_lengths_or_of_no_whole_float64s_never_agree()
    {
        var comparator = new Float64ToleranceComparator(new AppComparator(ComparatorKind.Tolerance, Absolute: 1, Relative: 1));

        Assert.False(comparator.Agree(Float64s(1.0), Float64s(1.0, 1.0)));
        Assert.False(comparator.Agree([1, 2, 3], [1, 2, 3]));
    }

    [Fact]
    public void Results_known_only_by_digest_agree_when_the_digests_do()
    {
        var comparator = (Float64ToleranceComparator)App(ComparatorKind.Tolerance, absolute: 1).Comparator;
        var a = Float64s(1.0);

        Assert.True(comparator.Agree(new ResultSummary(ContentDigest.Of(a), 8, null), new ResultSummary(ContentDigest.Of(a), 8, null)));
        Assert.False(comparator.Agree(new ResultSummary(ContentDigest.Of(a), 8, null), new ResultSummary(ContentDigest.Of(Float64s(1.5)), 8, Float64s(1.5))));
        Assert.True(comparator.Agree(new ResultSummary(ContentDigest.Of(a), 8, a), new ResultSummary(ContentDigest.Of(Float64s(1.5)), 8, Float64s(1.5))));
    }

    [Fact]
    public void A_bitwise_app_compares_digests_and_judges_no_result_alone()
    {
        var app = App();

        Assert.Same(DigestComparator.Instance, app.Comparator);
        Assert.Null(app.Validator.Check(new UnitInput(0, "1"), [1, 2, 3]));
    }

    [Fact]
    public void A_tolerance_result_that_is_not_whole_float64s_is_invalid()
    {
        var app = App(ComparatorKind.Tolerance);

        Assert.Null(app.Validator.Check(new UnitInput(0, "1"), Float64s(1, 2)));
        Assert.Null(app.Validator.Check(new UnitInput(0, "1"), []));
        Assert.Equal(
            "The result is 12 bytes, not a whole number of float64s (8 bytes each), as a tolerance app's result must be.",
            app.Validator.Check(new UnitInput(0, "1"), new byte[12]));
    }

    // ---- The job's result ----

    [Fact]
    public void Without_a_reducer_the_result_is_the_ordered_list_of_unit_results_null_where_there_is_none()
    {
        var reducer = App().Reducer;
        var parameters = Json.Parse("""{"units": [1, 2, 3, 4]}""");

        var seed = reducer.Seed(parameters);
        var folded = reducer.Fold(seed, new UnitInput(2, "3"), """{"primeCount": 5}"""u8);
        folded = reducer.Fold(folded, new UnitInput(0, "1"), [0xFF, 0x00, 0x41]);
        folded = reducer.Fold(folded, new UnitInput(3, "4"), "\"text\""u8);

        Assert.Equal("[null,null,null,null]", seed);
        Assert.Equal("""[{"base64":"/wBB"},null,{"primeCount": 5},"text"]""", folded);
    }

    [Fact]
    public void A_tolerance_apps_unit_results_read_as_arrays_of_numbers_with_non_finite_values_as_strings()
    {
        var reducer = App(ComparatorKind.Tolerance).Reducer;

        var folded = reducer.Fold(
            reducer.Seed(Json.Parse("""{"ranges": {"from": 0, "to": 2, "unitSize": 1}}""")),
            new UnitInput(1, """{"from":1,"to":2}"""),
            Float64s(3.141592653589793, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e300, 0.1));

        Assert.Equal("""[null,[3.141592653589793,"NaN","Infinity","-Infinity",-0,1E+300,0.1]]""", folded);
    }

    [Theory]
    [InlineData(ComparatorKind.Bitwise, "{\"primeCount\":78498}")]
    [InlineData(ComparatorKind.Bitwise, "[1, 2,\n3]")]
    [InlineData(ComparatorKind.Bitwise, "\"a string\"")]
    [InlineData(ComparatorKind.Bitwise, "null")]
    [InlineData(ComparatorKind.Bitwise, "{\"base64\":\"AAEC\"}")]
    [InlineData(ComparatorKind.Bitwise, " 1")]
    [InlineData(ComparatorKind.Bitwise, "1 2")]
    [InlineData(ComparatorKind.Bitwise, "")]
    public void Rendering_reads_back_to_the_same_bytes(ComparatorKind kind, string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);

        Assert.Equal(bytes, WasmResultJson.Parse(WasmResultJson.Render(bytes, kind), kind));
    }

    [Fact]
    public void Rendering_reads_back_to_the_same_bytes_for_binary_and_float64_payloads()
    {
        byte[] binary = [0xC3, 0x28, 0x00, 0xFF];
        var floats = Float64s(Math.PI, -0.0, double.Epsilon, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000));

        Assert.Equal("""{"base64":"wygA/w=="}""", WasmResultJson.Render(binary, ComparatorKind.Bitwise));
        Assert.Equal(binary, WasmResultJson.Parse(WasmResultJson.Render(binary, ComparatorKind.Bitwise), ComparatorKind.Bitwise));
        Assert.Equal(floats, WasmResultJson.Parse(WasmResultJson.Render(floats, ComparatorKind.Tolerance), ComparatorKind.Tolerance));
        Assert.Equal("""{"base64":"bnVsbA=="}""", WasmResultJson.Render("null"u8, ComparatorKind.Bitwise));
    }

    [Fact]
    public void With_a_reducer_module_the_result_is_its_output_folded_over_the_units()
    {
        var reducer = App(ComparatorKind.Tolerance, reducer: WasmModules.Example("sum")).Reducer;

        var seed = reducer.Seed(Json.Parse("""{"ranges": {"from": 0, "to": 3, "unitSize": 1}}"""));
        var once = reducer.Fold(seed, new UnitInput(2, "{}"), Float64s(1.5));
        var twice = reducer.Fold(once, new UnitInput(0, "{}"), Float64s(2.25));
        var thrice = reducer.Fold(twice, new UnitInput(1, "{}"), Float64s(double.PositiveInfinity));

        Assert.Equal("null", seed);
        Assert.Equal("[1.5]", once);
        Assert.Equal("[3.75]", twice);
        Assert.Equal("""["Infinity"]""", thrice);
    }

    [Fact]
    public void A_reducer_module_that_fails_refuses_the_fold_with_its_error()
    {
        var reducer = App(ComparatorKind.Tolerance, reducer: WasmModules.Example("sum")).Reducer;

        var error = Assert.Throws<ReducerFailedException>(() => reducer.Fold("[1.5]", new UnitInput(0, "{}"), Float64s(1, 2)));

        Assert.Equal("The reducer module failed: The module returned error code 1.", error.Message);
    }

    [Fact]
    public void A_fold_takes_no_more_fuel_than_the_coordinators_cap_whatever_the_versions_limits()
    {
        // The version allows 10^11 fuel; where the reducer runs, a fold may burn 10.
        var reducer = App(ComparatorKind.Tolerance, reducer: WasmModules.Example("sum"), reducerCap: new AppLimits(64 * 1024 * 1024, 10)).Reducer;

        var error = Assert.Throws<ReducerFailedException>(() => reducer.Fold("[1.5]", new UnitInput(0, "{}"), Float64s(2.25)));

        Assert.StartsWith("The reducer module failed: The module ran out of fuel after 10 units of fuel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tolerance_apps_reducer_whose_output_is_not_whole_float64s_fails_the_unit()
    {
        var reducer = App(ComparatorKind.Tolerance, reducer: ReducerGiving(3)).Reducer;

        var error = Assert.Throws<ReducerFailedException>(() => reducer.Fold("null", new UnitInput(0, "{}"), Float64s(1)));

        Assert.StartsWith("The reducer module's output cannot be the job's result: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reducer_module_whose_output_would_outgrow_the_bound_of_a_jobs_result_fails_the_unit()
    {
        // 13 MiB of zeros: no JSON, so base64, about 17.3 MiB.
        var reducer = App(reducer: ReducerGiving(13 * 1024 * 1024)).Reducer;

        var error = Assert.Throws<ReducerFailedException>(() => reducer.Fold("null", new UnitInput(0, "{}"), "1"u8));

        Assert.Equal(
            "The job's result would take 18,175,333 bytes as JSON, more than the 16,777,216 a job's result may; register the app with a reducer module that folds the unit results into a smaller one.",
            error.Message);
    }

    [Fact]
    public void An_ordered_list_that_would_outgrow_the_bound_of_a_jobs_result_fails_the_unit()
    {
        var reducer = App().Reducer;
        var seed = reducer.Seed(Json.Parse("""{"units": [1, 2]}"""));
        var bigButWithin = new byte[WasmScienceApp.MaxResultJsonBytes / 2];
        Array.Fill(bigButWithin, (byte)'7');

        var once = reducer.Fold(seed, new UnitInput(0, "1"), bigButWithin);
        var error = Assert.Throws<ReducerFailedException>(() => reducer.Fold(once, new UnitInput(1, "2"), bigButWithin));

        Assert.Equal(bigButWithin.Length + "[,null]".Length, once.Length);
        Assert.Equal(
            "The job's result would take 16,777,219 bytes as JSON, more than the 16,777,216 a job's result may; register the app with a reducer module that folds the unit results into a smaller one.",
            error.Message);
    }

    [Fact]
    public void A_bitwise_payload_nested_deeper_than_32_is_given_as_base64_so_the_list_reads_back_with_the_default_depth()
    {
        var deep = Encoding.UTF8.GetBytes(new string('[', 40) + new string(']', 40));
        var within = Encoding.UTF8.GetBytes(new string('[', 32) + new string(']', 32));
        var reducer = App().Reducer;

        var folded = reducer.Fold(reducer.Seed(Json.Parse("""{"units": [1, 2]}""")), new UnitInput(0, "1"), deep);
        folded = reducer.Fold(folded, new UnitInput(1, "2"), within);

        Assert.StartsWith("""{"base64":""", WasmResultJson.Render(deep, ComparatorKind.Bitwise), StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(within), WasmResultJson.Render(within, ComparatorKind.Bitwise));
        using var list = JsonDocument.Parse(folded);
        Assert.Equal(deep, WasmResultJson.Parse(list.RootElement[0], ComparatorKind.Bitwise));
        Assert.Equal(within, WasmResultJson.Parse(list.RootElement[1], ComparatorKind.Bitwise));
    }

    [Fact]
    public void The_integral_example_and_its_reducer_give_pi()
    {
        var integral = WasmModules.Example("integral");
        var module = _sandbox.Load(ContentDigest.Of(integral), integral, ModuleKind.Compute);
        var app = App(ComparatorKind.Tolerance, relative: 1e-12, reducer: WasmModules.Example("sum"));
        var parameters = Json.Parse("""{"ranges": {"from": 0, "to": 100000000, "unitSize": 25000000}}""");
        var limits = new AppLimits(64 * 1024 * 1024, 100_000_000_000);

        var accumulated = app.Reducer.Seed(parameters);
        foreach (var unit in app.Splitter.Split(parameters, 0).Reverse())
        {
            var result = _sandbox.Compute(module, WasmInput.Bytes(unit.Json), limits, new RecordingContext(), [], CancellationToken.None).Result;
            Assert.Null(app.Validator.Check(unit, result));
            accumulated = app.Reducer.Fold(accumulated, unit, result);
        }

        var pi = BinaryPrimitives.ReadDoubleLittleEndian(WasmResultJson.Parse(accumulated, ComparatorKind.Tolerance));
        Assert.Equal(Math.PI, pi, 1e-12);
    }

    // ---- Credit ----

    [Fact]
    public void Credit_is_one_per_unit_unless_the_app_says_otherwise()
    {
        var unit = new UnitInput(0, "1");

        Assert.Equal(1, App().Credit.CreditOf(unit));
        Assert.Equal(1, App().Credit.CreditOfMetered(unit, 5_000_000));
        Assert.Equal(2.5, App(credit: new AppCredit(PerUnit: 2.5)).Credit.CreditOfMetered(unit, 5_000_000));
    }

    [Fact]
    public void Metered_credit_is_the_rate_per_million_fuel_capped_at_the_fuel_limit()
    {
        var credit = App(credit: new AppCredit(PerMillionFuel: 2), fuelPerUnit: 10_000_000).Credit;
        var unit = new UnitInput(0, "1");

        Assert.Equal(10, credit.CreditOfMetered(unit, 5_000_000));
        Assert.Equal(20, credit.CreditOfMetered(unit, 10_000_000));
        Assert.Equal(20, credit.CreditOfMetered(unit, 1_000_000_000_000));
        Assert.Equal(0, credit.CreditOfMetered(unit, -5));
        Assert.Equal(0, credit.CreditOfMetered(unit, null));
        Assert.Equal(13, App(credit: new AppCredit(PerUnit: 3, PerMillionFuel: 2), fuelPerUnit: 10_000_000).Credit.CreditOfMetered(unit, 5_000_000));
    }

    [Fact]
    public async Task The_coordinator_never_computes_a_unit()
    {
        var app = App();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            app.Computer.ComputeAsync(new UnitInput(0, "1"), new RecordingContext(), CancellationToken.None));

        Assert.StartsWith("The units of a WebAssembly app are computed by the workers", error.Message);
        Assert.Equal("app@1.0", app.Name);
    }

    private WasmScienceApp App(
        ComparatorKind kind = ComparatorKind.Bitwise, double absolute = 0, double relative = 0, byte[]? reducer = null, AppCredit? credit = null,
        long fuelPerUnit = 100_000_000_000, AppLimits? reducerCap = null)
    {
        var version = new AppVersionView(
            "app", "1.0", ContentDigest.Of("module"u8), 6, new AppComparator(kind, absolute, relative), credit ?? new AppCredit(),
            new AppLimits(64 * 1024 * 1024, fuelPerUnit), reducer is null ? null : ContentDigest.Of(reducer), "signature", DateTimeOffset.UnixEpoch);
        return new WasmScienceApp(version, _sandbox, reducer, reducerCap);
    }

    /// <summary>A reducer module whose output is the first <paramref name="length"/> bytes of its memory (zeros).</summary>
    private static byte[] ReducerGiving(int length) => Module.ConvertText($$"""
        (module
          (import "volunteer" "result" (func $result (param i32 i32)))
          (memory (export "memory") 256)
          (func (export "volunteer_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "volunteer_reduce") (param i32 i32 i32 i32) (result i32)
            (call $result (i32.const 0) (i32.const {{length}}))
            (i32.const 0)))
        """);

    private static byte[] Float64s(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }
        return bytes;
    }
}

using System.Text.Json;
using Volunteer.Apps;
using Volunteer.Apps.Mandelbrot;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.WorkUnits.Tests;

public sealed class MandelbrotAppTests
{
    private static readonly IScienceApp App = new MandelbrotApp();

    /// <summary>The classic full view, 300 × 170 in tiles of 64: 5 × 3 tiles, the last column 44 wide and the last row 42 high.</summary>
    private const string SmallJob = """{"centerX":-0.75,"centerY":0.1,"scale":3.2,"width":300,"height":170,"maxIterations":200,"tileSize":64}""";

    [Fact]
    public void It_is_a_built_in_app()
    {
        Assert.IsType<MandelbrotApp>(ScienceAppCatalog.BuiltIn.Find("mandelbrot"));
        Assert.Same(DigestComparator.Instance, App.Comparator);
        Assert.Equal("image/png", App.ResultFile!.ContentType);
        Assert.Empty(App.InputBlobs(Json.Parse(SmallJob)));
    }

    [Theory]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":1000,"height":800,"maxIterations":1000}""", 16)] // 4 × 4 tiles of 256
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":256,"height":256,"maxIterations":1}""", 1)]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":257,"height":1,"maxIterations":1}""", 2)]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":1,"height":1,"maxIterations":1,"tileSize":16}""", 1)]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":16384,"height":16384,"maxIterations":100000}""", 4096)]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":16384,"height":16384,"maxIterations":1,"tileSize":1024}""", 256)]
    [InlineData(SmallJob, 15)]
    public void Plan_counts_the_tiles(string parameters, long tiles) =>
        Assert.Equal(tiles, App.Splitter.Plan(Json.Parse(parameters)).UnitCount);

    [Fact]
    public void The_tiles_cover_the_image_exactly_once_row_major_from_the_top_left()
    {
        var units = App.Splitter.Split(Json.Parse(SmallJob), 0).ToList();
        var covered = new int[300 * 170];

        Assert.Equal(Enumerable.Range(0, 15).Select(i => (long)i), units.Select(unit => unit.Index));
        foreach (var unit in units)
        {
            var (x, y, w, h) = Rectangle(unit);
            Assert.Equal((x, y), ((int)(unit.Index % 5) * 64, (int)(unit.Index / 5) * 64));
            for (var row = y; row < y + h; row++)
            {
                for (var column = x; column < x + w; column++)
                {
                    covered[(row * 300) + column]++;
                }
            }
        }

        Assert.All(covered, count => Assert.Equal(1, count));
        Assert.Equal((256, 0, 44, 64), Rectangle(units[4]));
        Assert.Equal((0, 128, 64, 42), Rectangle(units[10]));
        Assert.Equal((256, 128, 44, 42), Rectangle(units[14]));
    }

    [Fact]
    public void A_unit_carries_the_whole_view_so_a_volunteer_needs_nothing_else_and_doubles_round_trip_exactly()
    {
        // 0.1 + 0.2 is 0.30000000000000004: a rounded spelling would render a slightly different image.
        var centerX = 0.1 + 0.2;
        var parameters = Json.Parse($$"""{"centerX":{{centerX:R}},"centerY":-1e-7,"scale":1e-5,"width":300,"height":200,"maxIterations":500,"tileSize":100}""");

        var unit = App.Splitter.Split(parameters, 4).First();

        Assert.Equal(4, unit.Index);
        Assert.Equal(
            """{"centerX":0.30000000000000004,"centerY":-1E-07,"scale":1E-05,"width":300,"height":200,"maxIterations":500,"x":100,"y":100,"w":100,"h":100}""",
            unit.Json);
        Assert.Equal(centerX, Json.Parse(unit.Json).GetProperty("centerX").GetDouble());
    }

    [Fact]
    public void Splitting_starts_at_any_index_and_ends_at_the_last_tile()
    {
        var parameters = Json.Parse(SmallJob);

        Assert.Equal([13L, 14L], App.Splitter.Split(parameters, 13).Select(unit => unit.Index));
        Assert.Empty(App.Splitter.Split(parameters, 15));
        Assert.Throws<ArgumentOutOfRangeException>(() => App.Splitter.Split(parameters, -1));
        Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Split(Json.Parse("""{"width":1}"""), 0));
    }

    [Theory]
    [InlineData("""{"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10}""", "the field centerX is missing")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10}""", "the field maxIterations is missing")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"zoom":2}""", "unknown field 'zoom'")]
    [InlineData("""{"centerX":0,"centerX":1,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10}""", "the field centerX appears more than once")]
    [InlineData("""[1,2,3]""", "expected a JSON object with the fields centerX, centerY, scale, width, height, maxIterations, tileSize")]
    [InlineData("""{"centerX":"0","centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10}""", "centerX must be a finite number")]
    [InlineData("""{"centerX":0,"centerY":1e400,"scale":4,"width":10,"height":10,"maxIterations":10}""", "centerY must be a finite number")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":null,"width":10,"height":10,"maxIterations":10}""", "scale must be a finite number")]
    [InlineData("""{"centerX":2000000,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10}""", "centerX and centerY must be between -1000000 and 1000000")]
    [InlineData("""{"centerX":0,"centerY":-1000001,"scale":4,"width":10,"height":10,"maxIterations":10}""", "centerX and centerY must be between -1000000 and 1000000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":0,"width":10,"height":10,"maxIterations":10}""", "scale (the width of the region in the complex plane) must be from 1e-300 to 1000000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":-4,"width":10,"height":10,"maxIterations":10}""", "scale (the width of the region in the complex plane) must be from 1e-300 to 1000000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":1e-301,"width":10,"height":10,"maxIterations":10}""", "scale (the width of the region in the complex plane) must be from 1e-300 to 1000000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":0,"height":10,"maxIterations":10}""", "width must be an integer from 1 to 16384")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":16385,"height":10,"maxIterations":10}""", "width must be an integer from 1 to 16384")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10.5,"height":10,"maxIterations":10}""", "width must be an integer from 1 to 16384")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":-1,"maxIterations":10}""", "height must be an integer from 1 to 16384")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":0}""", "maxIterations must be an integer from 1 to 100000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":100001}""", "maxIterations must be an integer from 1 to 100000")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"tileSize":15}""", "tileSize must be an integer from 16 to 1024")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"tileSize":1025}""", "tileSize must be an integer from 16 to 1024")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":16384,"height":16384,"maxIterations":10,"tileSize":16}""", "a 16384×16384 image in tiles of 16 has 1048576 tiles, more than 4096; use a tileSize of at least 256")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":16384,"height":300,"maxIterations":10,"tileSize":16}""", "a 16384×300 image in tiles of 16 has 19456 tiles, more than 4096; use a tileSize of at least 37")]
    public void Bad_parameters_are_refused_with_a_message_naming_the_problem(string parameters, string message)
    {
        var error = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(Json.Parse(parameters)));

        Assert.StartsWith("Invalid mandelbrot parameters: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_problem_is_the_one_reported()
    {
        var error = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(
            Json.Parse("""{"centerX":0,"centerY":0,"scale":4,"width":0,"height":0,"maxIterations":0}""")));

        Assert.Equal("Invalid mandelbrot parameters: width must be an integer from 1 to 16384.", error.Message);
    }

    [Fact]
    public void The_largest_values_are_accepted()
    {
        Assert.Equal(
            256,
            App.Splitter.Plan(Json.Parse("""{"centerX":-1000000,"centerY":1000000,"scale":1000000,"width":16384,"height":16384,"maxIterations":100000,"tileSize":1024}""")).UnitCount);
        Assert.Equal(1, App.Splitter.Plan(Json.Parse("""{"centerX":0,"centerY":0,"scale":1e-300,"width":1,"height":1,"maxIterations":1}""")).UnitCount);
    }

    [Fact]
    public async Task A_256_tile_is_196608_bytes_of_RGB_the_same_as_that_part_of_the_image_rendered_in_one_process()
    {
        var parameters = Json.Parse("""{"centerX":-0.5,"centerY":0,"scale":3,"width":512,"height":300,"maxIterations":300}""");
        var image = MandelbrotApp.RenderImage(parameters);
        var lengths = new List<int>();

        foreach (var unit in App.Splitter.Split(parameters, 0))
        {
            var context = new RecordingContext();
            var payload = await App.Computer.ComputeAsync(unit, context, CancellationToken.None);

            var (x, y, w, h) = Rectangle(unit);
            lengths.Add(payload.Length);
            for (var row = 0; row < h; row++)
            {
                Assert.True(
                    image.AsSpan((((y + row) * 512) + x) * 3, w * 3).SequenceEqual(payload.AsSpan(row * w * 3, w * 3)),
                    $"Row {row} of tile {unit.Index} differs from the image.");
            }
            Assert.Equal(Enumerable.Range(1, h).Select(row => (double)row / h), context.Progress);
        }

        // 2 × 2 tiles: the lower two are 44 rows high.
        Assert.Equal([196_608, 196_608, 256 * 44 * 3, 256 * 44 * 3], lengths);
    }

    [Fact]
    public void The_image_is_really_the_mandelbrot_set_black_inside_and_colored_by_escape_time_outside()
    {
        // 5 × 5 pixels of size 1 around 0: pixel (x, y) is centered on c = (x - 2) + (2 - y)i, whose orbits are known.
        var image = MandelbrotApp.RenderImage(Json.Parse("""{"centerX":0,"centerY":0,"scale":5,"width":5,"height":5,"maxIterations":100,"tileSize":16}"""));

        Assert.Equal(5 * 5 * 3, image.Length);
        // In the set: 0 (fixed), -1 (period 2), -2 (lands on 2 and stays, |z| = 2 never exceeds the radius), i and -i (preperiodic).
        foreach (var (x, y) in new[] { (2, 2), (1, 2), (0, 2), (2, 1), (2, 3) })
        {
            Assert.Equal([0, 0, 0], Pixel(image, 5, x, y));
        }
        // Escaping: 1 (0, 1, 2, 5: three iterations), 2 (0, 2, 6: two), -2 + 2i (|c| > 2: one), 2 - 2i (one).
        var three = Pixel(image, 5, 3, 2);
        var two = Pixel(image, 5, 4, 2);
        var one = Pixel(image, 5, 0, 0);
        Assert.Equal(one, Pixel(image, 5, 4, 4));
        Assert.Equal(4, new[] { one, two, three, [0, 0, 0] }.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public async Task A_deep_tile_reports_progress_within_rows_and_resumes_from_any_checkpoint_to_the_same_pixels()
    {
        // 64 × 4 pixels at 100,000 iterations: stretches of 40 pixels, two per row.
        var parameters = Json.Parse("""{"centerX":-0.75,"centerY":0.1,"scale":0.05,"width":64,"height":4,"maxIterations":100000,"tileSize":64}""");
        var unit = Assert.Single(App.Splitter.Split(parameters, 0));
        var first = new RecordingContext { TimeToCheckpoint = true };

        var payload = await App.Computer.ComputeAsync(unit, first, CancellationToken.None);

        Assert.Equal(MandelbrotApp.RenderImage(parameters), payload);
        Assert.Equal(new[] { 40, 64, 104, 128, 168, 192, 232, 256 }.Select(done => done / 256.0), first.Progress);
        Assert.Equal(first.Progress[..^1], first.CheckpointFractions);
        foreach (var (state, fraction) in first.SavedCheckpoints.Zip(first.CheckpointFractions))
        {
            var resumed = new RecordingContext(state);

            Assert.Equal(payload, await App.Computer.ComputeAsync(unit, resumed, CancellationToken.None));
            Assert.Equal(fraction, resumed.Progress[0]);
            Assert.Empty(resumed.SavedCheckpoints);
        }
        // A checkpoint that is not this tile's is passed over: the tile starts over.
        Assert.Equal(payload, await App.Computer.ComputeAsync(unit, new RecordingContext(new byte[] { 5, 0, 0, 0, 1 }), CancellationToken.None));
    }

    [Fact]
    public async Task A_cancelled_tile_stops_between_rows()
    {
        using var cancellation = new CancellationTokenSource();
        var unit = App.Splitter.Split(Json.Parse(SmallJob), 0).First();
        var context = new RecordingContext(onProgress: fraction =>
        {
            if (fraction >= 0.5)
            {
                cancellation.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => App.Computer.ComputeAsync(unit, context, cancellation.Token));
        Assert.Equal(32, context.Progress.Count);
    }

    [Theory]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"x":0,"y":0,"w":10}""", "the field h is missing")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"x":0,"y":0,"w":11,"h":10}""", "w must be an integer from 1 to 10")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"x":5,"y":0,"w":6,"h":10}""", "w must be an integer from 1 to 5")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":10,"x":0,"y":10,"w":1,"h":1}""", "y must be an integer from 0 to 9")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":5000,"height":5000,"maxIterations":10,"x":0,"y":0,"w":5000,"h":1}""", "w must be an integer from 1 to 1024")]
    [InlineData("""{"centerX":0,"centerY":0,"scale":4,"width":10,"height":10,"maxIterations":1000000,"x":0,"y":0,"w":1,"h":1}""", "maxIterations must be an integer from 1 to 100000")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task A_volunteer_refuses_a_unit_no_mandelbrot_job_can_produce(string json, string message)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => App.Computer.ComputeAsync(new UnitInput(0, json), new RecordingContext(), CancellationToken.None));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credit_is_pixels_times_iterations_one_for_a_256_tile_at_a_thousand()
    {
        var units = App.Splitter.Split(Json.Parse("""{"centerX":0,"centerY":0,"scale":4,"width":300,"height":256,"maxIterations":1000}"""), 0).ToList();
        var deep = App.Splitter.Split(Json.Parse("""{"centerX":0,"centerY":0,"scale":4,"width":256,"height":256,"maxIterations":100000}"""), 0).Single();

        Assert.Equal(1.0, App.Credit.CreditOf(units[0]));
        Assert.Equal(44.0 / 256, App.Credit.CreditOf(units[1]));
        Assert.Equal(100.0, App.Credit.CreditOf(deep));
    }

    [Fact]
    public void The_validator_wants_exactly_the_tiles_pixels()
    {
        var units = App.Splitter.Split(Json.Parse(SmallJob), 0).ToList();

        Assert.Null(App.Validator.Check(units[0], new byte[64 * 64 * 3]));
        Assert.Null(App.Validator.Check(units[14], new byte[44 * 42 * 3]));
        Assert.Equal("A 64×64 mandelbrot tile is 12288 bytes of RGB, not 12287.", App.Validator.Check(units[0], new byte[(64 * 64 * 3) - 1]));
        Assert.Equal("A 44×42 mandelbrot tile is 5544 bytes of RGB, not 12288.", App.Validator.Check(units[14], new byte[64 * 64 * 3]));
        Assert.NotNull(App.Validator.Check(units[0], []));
    }

    [Fact]
    public async Task The_reducer_records_each_tiles_digest_at_its_index()
    {
        var parameters = Json.Parse(SmallJob);
        var units = App.Splitter.Split(parameters, 0).ToList();
        var seed = App.Reducer.Seed(parameters);
        var third = await App.Computer.ComputeAsync(units[2], new RecordingContext(), CancellationToken.None);
        var last = await App.Computer.ComputeAsync(units[14], new RecordingContext(), CancellationToken.None);

        var accumulated = App.Reducer.Fold(App.Reducer.Fold(seed, units[14], last), units[2], third);

        var nulls = string.Join(',', Enumerable.Repeat("null", 15));
        Assert.Equal($$"""{"width":300,"height":170,"tileSize":64,"tiles":[{{nulls}}]}""", seed);
        var tiles = Json.Parse(accumulated).GetProperty("tiles").EnumerateArray().Select(tile => tile.GetString()).ToList();
        Assert.Equal(15, tiles.Count);
        Assert.Equal(ContentDigest.Of(third), tiles[2]);
        Assert.Equal(ContentDigest.Of(last), tiles[14]);
        Assert.Equal(13, tiles.Count(tile => tile is null));
        Assert.Equal(
            new[] { ContentDigest.Of(last), ContentDigest.Of(third) }.Order(StringComparer.Ordinal),
            App.ResultFile!.PayloadsOf(accumulated).Order(StringComparer.Ordinal));

        Assert.Throws<InvalidOperationException>(() => App.Reducer.Fold(accumulated, units[2], third));
        Assert.Throws<InvalidDataException>(() => App.Reducer.Fold(accumulated, units[3], third.AsSpan(1)));
    }

    [Fact]
    public async Task The_result_file_is_a_png_equal_pixel_for_pixel_to_the_image_rendered_in_one_process()
    {
        var parameters = Json.Parse(SmallJob);
        var (png, payloadsRead) = await RunJob(parameters, skip: null);

        var (width, height, rgb) = PngDecoder.Decode(png);

        Assert.Equal((300, 170), (width, height));
        Assert.True(MandelbrotApp.RenderImage(parameters).AsSpan().SequenceEqual(rgb), "The PNG's pixels differ from the one-process render.");
        Assert.Equal(payloadsRead.Count, payloadsRead.Distinct().Count());
    }

    [Fact]
    public async Task A_large_image_streams_into_many_IDAT_chunks_and_still_matches()
    {
        // 1500 × 1100 in tiles of 256: 6 × 5 tiles, 4.95 MB of pixels, many 64 KiB IDAT chunks.
        var parameters = Json.Parse("""{"centerX":-0.7436438870371587,"centerY":0.13182590420531197,"scale":0.002,"width":1500,"height":1100,"maxIterations":600}""");
        var (png, _) = await RunJob(parameters, skip: null);

        var (width, height, rgb) = PngDecoder.Decode(png);

        Assert.Equal((1500, 1100), (width, height));
        Assert.True(MandelbrotApp.RenderImage(parameters).AsSpan().SequenceEqual(rgb), "The PNG's pixels differ from the one-process render.");
    }

    [Fact]
    public async Task A_tile_whose_unit_failed_is_mid_gray_and_the_rest_of_the_image_stands()
    {
        var parameters = Json.Parse(SmallJob);
        var (png, _) = await RunJob(parameters, skip: 6);

        var (_, _, rgb) = PngDecoder.Decode(png);

        var reference = MandelbrotApp.RenderImage(parameters);
        for (var y = 0; y < 170; y++)
        {
            for (var x = 0; x < 300; x++)
            {
                var inMissingTile = x is >= 64 and < 128 && y is >= 64 and < 128;
                var expected = inMissingTile ? [128, 128, 128] : Pixel(reference, 300, x, y);
                Assert.Equal(expected, Pixel(rgb, 300, x, y));
            }
        }
    }

    [Fact]
    public async Task Tiles_of_one_color_share_a_payload_named_once_and_read_once_per_band()
    {
        // Deep inside the main cardioid every pixel is in the set: four identical black tiles, in two bands of two.
        var parameters = Json.Parse("""{"centerX":-0.1,"centerY":0,"scale":0.01,"width":32,"height":32,"maxIterations":50,"tileSize":16}""");
        var (png, payloadsRead) = await RunJob(parameters, skip: null);

        Assert.Equal(2, payloadsRead.Count);
        Assert.Single(payloadsRead.Distinct());
        Assert.All(PngDecoder.Decode(png).Rgb, value => Assert.Equal(0, value));
    }

    [Fact]
    public async Task A_result_that_does_not_match_the_parameters_or_a_wrong_payload_is_refused()
    {
        var parameters = Json.Parse(SmallJob);
        var other = Json.Parse(SmallJob.Replace("\"tileSize\":64", "\"tileSize\":32", StringComparison.Ordinal));
        var file = App.ResultFile!;

        await Assert.ThrowsAsync<InvalidDataException>(() => file.WriteAsync(other, App.Reducer.Seed(parameters), NoPayload, Stream.Null, CancellationToken.None));

        var unit = App.Splitter.Split(parameters, 0).First();
        var tile = await App.Computer.ComputeAsync(unit, new RecordingContext(), CancellationToken.None);
        var accumulated = App.Reducer.Fold(App.Reducer.Seed(parameters), unit, tile);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => file.WriteAsync(
            parameters, accumulated, (_, _) => Task.FromResult(new byte[tile.Length]), Stream.Null, CancellationToken.None));
        Assert.Contains("The payload read for tile 0 is not sha256:", error.Message, StringComparison.Ordinal);

        static Task<byte[]> NoPayload(string digest, CancellationToken cancellationToken) => throw new InvalidOperationException();
    }

    /// <summary>Computes every unit (but <paramref name="skip"/>), folds them in reverse order, and writes the PNG, keeping payloads by digest as the coordinator would.</summary>
    private static async Task<(byte[] Png, List<string> PayloadsRead)> RunJob(JsonElement parameters, long? skip)
    {
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var accumulated = App.Reducer.Seed(parameters);
        foreach (var unit in App.Splitter.Split(parameters, 0).Reverse())
        {
            if (unit.Index == skip)
            {
                continue;
            }
            var payload = await App.Computer.ComputeAsync(unit, new RecordingContext(), CancellationToken.None);
            Assert.Null(App.Validator.Check(unit, payload));
            accumulated = App.Reducer.Fold(accumulated, unit, payload);
            blobs[ContentDigest.Of(payload)] = payload;
        }
        Assert.Equal(blobs.Keys.Order(StringComparer.Ordinal), App.ResultFile!.PayloadsOf(accumulated).Order(StringComparer.Ordinal));

        var read = new List<string>();
        using var png = new MemoryStream();
        await App.ResultFile.WriteAsync(parameters, accumulated, (digest, _) =>
        {
            read.Add(digest);
            return Task.FromResult(blobs[digest]);
        }, png, CancellationToken.None);
        return (png.ToArray(), read);
    }

    private static (int X, int Y, int W, int H) Rectangle(UnitInput unit)
    {
        var json = Json.Parse(unit.Json);
        return (json.GetProperty("x").GetInt32(), json.GetProperty("y").GetInt32(), json.GetProperty("w").GetInt32(), json.GetProperty("h").GetInt32());
    }

    private static byte[] Pixel(byte[] rgb, int width, int x, int y) => rgb.AsSpan(((y * width) + x) * 3, 3).ToArray();
}

using System.Text;
using System.Text.Json;
using Volunteer.Apps;
using Volunteer.Apps.Motifs;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

public sealed class MotifsAppTests
{
    private static readonly IScienceApp App = new MotifsApp();

    private static readonly string Sequence = ContentDigest.Of("ACGT"u8);

    [Fact]
    public void It_is_a_built_in_app_whose_units_all_read_the_sequence()
    {
        Assert.IsType<MotifsApp>(ScienceAppCatalog.BuiltIn.Find("motifs"));
        Assert.Same(DigestComparator.Instance, App.Comparator);
        Assert.Null(App.ResultFile);
        Assert.Equal([Sequence], App.InputBlobs(Job(["ACGT", "TATA"], 1)));
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 4)]
    [InlineData(3, 3)]
    [InlineData(7, 1)]
    [InlineData(10000, 1)]
    public void The_units_are_slices_of_the_motif_list_covering_it_exactly_once_in_order(int motifsPerUnit, long units)
    {
        string[] motifs = ["A", "C", "G", "T", "AC", "ACGT", "TTTT"];
        var parameters = Job(motifs, motifsPerUnit);

        var split = App.Splitter.Split(parameters, 0).ToList();

        Assert.Equal(units, App.Splitter.Plan(parameters).UnitCount);
        Assert.Equal(Enumerable.Range(0, (int)units).Select(i => (long)i), split.Select(unit => unit.Index));
        Assert.Equal(motifs, split.SelectMany(unit => MotifsOf(unit)));
        Assert.All(split.SkipLast(1), unit => Assert.Equal(motifsPerUnit, MotifsOf(unit).Length));
        Assert.All(split, unit => Assert.Equal(Sequence, Json.Parse(unit.Json).GetProperty("sequence").GetString()));
    }

    [Fact]
    public void A_unit_names_the_sequence_its_stated_size_and_its_motifs()
    {
        var parameters = Json.Parse($$"""{"sequence":"{{Sequence}}","motifs":["A","CG","TTA"],"motifsPerUnit":2,"sequenceBytes":4}""");

        var units = App.Splitter.Split(parameters, 1).ToList();

        Assert.Equal([new UnitInput(1, $$"""{"sequence":"{{Sequence}}","sequenceBytes":4,"motifs":["TTA"]}""")], units);
        Assert.Empty(App.Splitter.Split(parameters, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => App.Splitter.Split(parameters, -1));
    }

    [Theory]
    [InlineData("""{"motifs":["A"],"motifsPerUnit":1}""", "the field sequence is missing")]
    [InlineData("""{"sequence":"S","motifsPerUnit":1}""", "the field motifs is missing")]
    [InlineData("""{"sequence":"S","motifs":["A"]}""", "the field motifsPerUnit is missing")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":1,"seq":"x"}""", "unknown field 'seq'")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":1,"motifsPerUnit":2}""", "the field motifsPerUnit appears more than once")]
    [InlineData("""["A"]""", "expected a JSON object with the fields sequence, motifs, motifsPerUnit, sequenceBytes")]
    [InlineData("""{"sequence":"sha256:abc","motifs":["A"],"motifsPerUnit":1}""", "sequence must name the uploaded sequence by its digest, \"sha256:\" followed by 64 lowercase hex digits")]
    [InlineData("""{"sequence":42,"motifs":["A"],"motifsPerUnit":1}""", "sequence must name the uploaded sequence by its digest")]
    [InlineData("""{"sequence":"S","motifs":[],"motifsPerUnit":1}""", "motifs must be an array of 1 to 100000 motifs")]
    [InlineData("""{"sequence":"S","motifs":"ACGT","motifsPerUnit":1}""", "motifs must be an array of 1 to 100000 motifs")]
    [InlineData("""{"sequence":"S","motifs":["ACGT","acgt"],"motifsPerUnit":1}""", "motifs[1] ('acgt') must be 1 to 64 of the letters A, C, G and T (upper case)")]
    [InlineData("""{"sequence":"S","motifs":["ACGN"],"motifsPerUnit":1}""", "motifs[0] ('ACGN') must be 1 to 64 of the letters A, C, G and T (upper case)")]
    [InlineData("""{"sequence":"S","motifs":["A",""],"motifsPerUnit":1}""", "motifs[1] ('') must be 1 to 64")]
    [InlineData("""{"sequence":"S","motifs":["A",7],"motifsPerUnit":1}""", "motifs[1] (a JSON number) must be 1 to 64")]
    [InlineData("""{"sequence":"S","motifs":[null],"motifsPerUnit":1}""", "motifs[0] (a JSON null) must be 1 to 64")]
    [InlineData("""{"sequence":"S","motifs":["A","C","A"],"motifsPerUnit":1}""", "motifs[2] ('A') repeats motifs[0]: list each motif once")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":0}""", "motifsPerUnit must be an integer from 1 to 10000")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":10001}""", "motifsPerUnit must be an integer from 1 to 10000")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":"2"}""", "motifsPerUnit must be an integer from 1 to 10000")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":1,"sequenceBytes":-1}""", "sequenceBytes (the size of the sequence blob) must be an integer from 0 to 1099511627776")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":1,"sequenceBytes":1.5}""", "sequenceBytes (the size of the sequence blob) must be an integer")]
    public void Bad_parameters_are_refused_with_a_message_naming_the_problem(string parameters, string message)
    {
        var json = Json.Parse(parameters.Replace("\"S\"", $"\"{Sequence}\"", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(json));

        Assert.StartsWith("Invalid motifs parameters: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_limits_are_exactly_where_they_are_documented()
    {
        var longest = new string('T', 64);
        Assert.Equal(1, App.Splitter.Plan(Job([longest], 10000)).UnitCount);
        Assert.Equal(10, App.Splitter.Plan(Job(DistinctMotifs(100_000), 10000)).UnitCount);

        var tooMany = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(Job(DistinctMotifs(100_001), 10000)));
        var tooLong = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(Job([longest + "A"], 1)));

        Assert.Contains("motifs must be an array of 1 to 100000 motifs", tooMany.Message, StringComparison.Ordinal);
        Assert.Contains($"motifs[0] ('{longest[..16]}…', 65 characters) must be 1 to 64", tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlapping_occurrences_all_count()
    {
        var counts = await CountAsync("AAAAA", ["AAA", "AA", "A", "AAAAAA"]);

        Assert.Equal([3L, 4L, 5L, 0L], counts);
    }

    [Fact]
    public async Task Letters_are_read_in_either_case_line_breaks_are_skipped_and_anything_else_is_a_gap()
    {
        // "acg\r\nT" reads as ACGT; the N and the '>' break "GTAC" and "TT".
        var counts = await CountAsync("acg\r\nT \tNACGT>TT\nT", ["ACGT", "GTAC", "CGTT", "TT", "TTT", "G"]);

        Assert.Equal([2L, 0L, 0L, 2L, 1L, 2L], counts);
    }

    [Fact]
    public async Task An_empty_sequence_has_no_occurrences()
    {
        Assert.Equal(new long[] { 0, 0 }, await CountAsync("", ["A", "CG"]));
    }

    [Fact]
    public async Task Counts_of_a_random_sequence_match_a_naive_count_at_every_position()
    {
        var random = new Random(20240611);
        var sequence = RandomSequence(random, 3 * 1024 * 1024);
        // Short and long motifs, motifs that are prefixes, suffixes and substrings of each other, runs, and motifs
        // taken from the sequence itself so that long ones occur too.
        var motifs = new List<string> { "A", "C", "G", "T", "AA", "AAA", "AAAA", "AAAAAAAA", "ACGT", "CGTA", "GTAC", "TACG", "ACG", "CG", "TATA", "TATATA" };
        var letters = Normalised(sequence);
        while (motifs.Count < 60)
        {
            var length = random.Next(1, 65);
            var motif = letters.Substring(random.Next(letters.Length - length), length);
            if (!motif.Contains('N', StringComparison.Ordinal) && !motifs.Contains(motif))
            {
                motifs.Add(motif);
            }
        }
        var parameters = Job(motifs, 7, sequence.Length);
        var context = new RecordingContext(blobs: new Dictionary<string, byte[]> { [Sequence] = sequence });

        var accumulated = App.Reducer.Seed(parameters);
        foreach (var unit in App.Splitter.Split(parameters, 0).Reverse())
        {
            var payload = await App.Computer.ComputeAsync(unit, context, CancellationToken.None);
            Assert.Null(App.Validator.Check(unit, payload));
            accumulated = App.Reducer.Fold(accumulated, unit, payload);
        }

        var expected = motifs.Select(motif => NaiveCount(letters, motif)).ToList();
        var result = Json.Parse(accumulated).GetProperty("counts");
        Assert.Equal(motifs, result.EnumerateObject().Select(property => property.Name));
        Assert.Equal(expected, result.EnumerateObject().Select(property => property.Value.GetInt64()));
        Assert.True(expected[5] > 10_000, "The random sequence should have many overlapping AAA.");
        Assert.True(expected[^1] > 0);
    }

    [Fact]
    public async Task A_unit_reports_progress_as_it_reads_and_stops_when_cancelled()
    {
        var sequence = RandomSequence(new Random(1), (3 * 1024 * 1024) + 5);
        var unit = App.Splitter.Split(Job(["ACGT"], 1), 0).Single();
        var blobs = new Dictionary<string, byte[]> { [Sequence] = sequence };
        var context = new RecordingContext(blobs: blobs);

        await App.Computer.ComputeAsync(unit, context, CancellationToken.None);

        // Read a MiB at a time: progress after each read, then done.
        Assert.Equal([1048576.0 / 3145733, 2097152.0 / 3145733, 3145728.0 / 3145733, 1.0, 1.0], context.Progress);

        using var cancellation = new CancellationTokenSource();
        var cancelling = new RecordingContext(onProgress: _ => cancellation.Cancel(), blobs: blobs);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => App.Computer.ComputeAsync(unit, cancelling, cancellation.Token));
        Assert.Single(cancelling.Progress);
    }

    [Fact]
    public async Task A_unit_checkpointed_as_it_reads_or_as_it_stops_resumes_from_any_checkpoint_to_the_same_counts()
    {
        // Motifs that span the mebibyte reads: the automaton's state at each checkpoint matters, not only the counts.
        var sequence = RandomSequence(new Random(2), (3 * 1024 * 1024) + 5);
        var unit = App.Splitter.Split(Job(["ACGT", "AAA", "GATTACA", "CC"], 4), 0).Single();
        var blobs = new Dictionary<string, byte[]> { [Sequence] = sequence };
        var whole = await App.Computer.ComputeAsync(unit, new RecordingContext(blobs: blobs), CancellationToken.None);
        var first = new RecordingContext(blobs: blobs) { TimeToCheckpoint = true };

        Assert.Equal(whole, await App.Computer.ComputeAsync(unit, first, CancellationToken.None));

        Assert.Equal([1048576.0 / 3145733, 2097152.0 / 3145733, 3145728.0 / 3145733], first.CheckpointFractions);
        foreach (var (state, fraction) in first.SavedCheckpoints.Zip(first.CheckpointFractions))
        {
            var resumed = new RecordingContext(state, blobs: blobs);
            Assert.Equal(whole, await App.Computer.ComputeAsync(unit, resumed, CancellationToken.None));
            Assert.Equal(fraction, resumed.Progress[0], 1e-12);
            // Where it resumed, each read left, then done.
            Assert.Equal(3 - first.CheckpointFractions.IndexOf(fraction), resumed.Progress.Count - 2);
        }

        using var cancellation = new CancellationTokenSource();
        RecordingContext? stopping = null;
        stopping = new RecordingContext(blobs: blobs, onProgress: _ =>
        {
            cancellation.Cancel();
            stopping!.TimeToCheckpoint = true;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => App.Computer.ComputeAsync(unit, stopping, cancellation.Token));
        var atStop = Assert.Single(stopping.SavedCheckpoints);
        Assert.Equal(whole, await App.Computer.ComputeAsync(unit, new RecordingContext(atStop, blobs: blobs), CancellationToken.None));

        // A checkpoint of other motifs (another automaton) is passed over: the unit reads the sequence from the start.
        var other = App.Splitter.Split(Job(["ACGT"], 1), 0).Single();
        var fresh = new RecordingContext(atStop, blobs: blobs);
        await App.Computer.ComputeAsync(other, fresh, CancellationToken.None);
        Assert.Equal(1048576.0 / 3145733, fresh.Progress[0]);
    }

    [Fact]
    public async Task A_sequence_of_another_size_than_the_job_states_fails_the_unit()
    {
        var unit = App.Splitter.Split(Job(["ACGT"], 1, sequenceBytes: 5), 0).Single();
        var context = new RecordingContext(blobs: new Dictionary<string, byte[]> { [Sequence] = "ACGT"u8.ToArray() });

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => App.Computer.ComputeAsync(unit, context, CancellationToken.None));

        Assert.Equal($"The job states a sequence of 5 bytes; {Sequence} is 4 bytes.", error.Message);
    }

    [Fact]
    public async Task A_unit_reads_only_its_jobs_sequence()
    {
        var unit = App.Splitter.Split(Job(["ACGT"], 1), 0).Single();

        await Assert.ThrowsAsync<InvalidOperationException>(() => App.Computer.ComputeAsync(unit, new RecordingContext(), CancellationToken.None));
    }

    [Theory]
    [InlineData("""{"counts":[1,2,3]}""", null)]
    [InlineData("""{"counts":[0,0,0]}""", null)]
    [InlineData("""{"counts":[1,2]}""", "The unit counts 3 motifs; the result has 2 counts.")]
    [InlineData("""{"counts":[1,2,3,4]}""", "The unit counts 3 motifs; the result has 4 counts.")]
    [InlineData("""{"counts":[1,-2,3]}""", "Every count of a motifs result is an integer of 0 or more.")]
    [InlineData("""{"counts":[1,2.5,3]}""", "Every count of a motifs result is an integer of 0 or more.")]
    [InlineData("""{"counts":[1,"2",3]}""", "Every count of a motifs result is an integer of 0 or more.")]
    [InlineData("""{"counts":[1,2,3],"extra":1}""", "A motifs result is {\"counts\": [...]}, with no other field.")]
    [InlineData("""{"count":[1,2,3]}""", "A motifs result is {\"counts\": [...]}, with no other field.")]
    [InlineData("""[1,2,3]""", "A motifs result is {\"counts\": [...]}, with no other field.")]
    [InlineData("""{"counts":[1,2,3]} x""", "The motifs result is not valid JSON.")]
    [InlineData("", "The motifs result is not valid JSON.")]
    public void The_validator_wants_one_non_negative_count_per_motif(string payload, string? problem)
    {
        var unit = App.Splitter.Split(Job(["A", "C", "G"], 3), 0).Single();

        Assert.Equal(problem, App.Validator.Check(unit, Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public void When_the_size_is_stated_no_count_may_exceed_what_the_sequence_can_hold()
    {
        var unit = App.Splitter.Split(Job(["A", "ACGT"], 2, sequenceBytes: 10), 0).Single();

        Assert.Null(App.Validator.Check(unit, """{"counts":[10,7]}"""u8));
        Assert.Equal(
            "The result counts 8 occurrences of ACGT, more than a sequence of 10 bytes can hold.",
            App.Validator.Check(unit, """{"counts":[10,8]}"""u8));
        Assert.NotNull(App.Validator.Check(unit, """{"counts":[11,0]}"""u8));
    }

    [Fact]
    public void The_reducer_keeps_the_jobs_motif_order_with_null_until_a_count_is_assimilated()
    {
        var parameters = Job(["TATA", "ACGT", "A"], 2);
        var units = App.Splitter.Split(parameters, 0).ToList();

        var seed = App.Reducer.Seed(parameters);
        var accumulated = App.Reducer.Fold(seed, units[1], """{"counts":[12]}"""u8);

        Assert.Equal("""{"counts":{"TATA":null,"ACGT":null,"A":null}}""", seed);
        Assert.Equal("""{"counts":{"TATA":null,"ACGT":null,"A":12}}""", accumulated);
        Assert.Equal(
            """{"counts":{"TATA":3,"ACGT":0,"A":12}}""",
            App.Reducer.Fold(accumulated, units[0], """{"counts":[3,0]}"""u8));
        Assert.Throws<InvalidOperationException>(() => App.Reducer.Fold(accumulated, units[1], """{"counts":[12]}"""u8));
        Assert.Throws<InvalidDataException>(() => App.Reducer.Fold(accumulated, units[0], """{"counts":[3]}"""u8));
    }

    [Fact]
    public void Credit_is_one_per_64_MiB_scanned_or_one_per_unit_when_the_size_is_not_stated()
    {
        var stated = App.Splitter.Split(Job(["A", "C", "G"], 2, sequenceBytes: 16L * 1024 * 1024), 0).ToList();
        var unstated = App.Splitter.Split(Job(["A", "C", "G"], 2), 0).ToList();

        Assert.Equal([0.25, 0.25], stated.Select(App.Credit.CreditOf));
        Assert.Equal([1.0, 1.0], unstated.Select(App.Credit.CreditOf));
    }

    [Theory]
    [InlineData("""{"sequence":"S","motifs":["a"]}""", "motifs[0] ('a') must be")]
    [InlineData("""{"sequence":"S"}""", "the field motifs is missing")]
    [InlineData("""{"sequence":"S","motifs":["A"],"motifsPerUnit":1}""", "unknown field 'motifsPerUnit'")]
    [InlineData("""nope""", "The motifs unit input is not valid JSON.")]
    public async Task A_volunteer_refuses_a_unit_no_motifs_job_can_produce(string json, string message)
    {
        var input = new UnitInput(0, json.Replace("\"S\"", $"\"{Sequence}\"", StringComparison.Ordinal));
        var context = new RecordingContext(blobs: new Dictionary<string, byte[]> { [Sequence] = "ACGT"u8.ToArray() });

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => App.Computer.ComputeAsync(input, context, CancellationToken.None));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static async Task<long[]> CountAsync(string sequence, string[] motifs)
    {
        var unit = App.Splitter.Split(Job(motifs, motifs.Length), 0).Single();
        var context = new RecordingContext(blobs: new Dictionary<string, byte[]> { [Sequence] = Encoding.ASCII.GetBytes(sequence) });
        var payload = await App.Computer.ComputeAsync(unit, context, CancellationToken.None);
        return [.. Json.Parse(Encoding.UTF8.GetString(payload)).GetProperty("counts").EnumerateArray().Select(count => count.GetInt64())];
    }

    private static JsonElement Job(IEnumerable<string> motifs, int motifsPerUnit, long? sequenceBytes = null) =>
        Json.Parse(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["sequence"] = Sequence,
            ["motifs"] = motifs,
            ["motifsPerUnit"] = motifsPerUnit,
        }.Concat(sequenceBytes is { } bytes ? [new("sequenceBytes", bytes)] : Array.Empty<KeyValuePair<string, object>>())
            .ToDictionary()));

    private static string[] MotifsOf(UnitInput unit) =>
        [.. Json.Parse(unit.Json).GetProperty("motifs").EnumerateArray().Select(motif => motif.GetString()!)];

    /// <summary>The first <paramref name="count"/> motifs of length 9 (4^9 = 262,144 of them), all distinct.</summary>
    private static string[] DistinctMotifs(int count) =>
        [.. Enumerable.Range(0, count).Select(n => string.Create(9, n, (letters, n) =>
        {
            for (var i = 0; i < letters.Length; i++)
            {
                letters[i] = "ACGT"[(n >> (2 * i)) & 3];
            }
        }))];

    /// <summary>
    /// Mostly A, C, G, T in both cases, with long runs of A, lines of 60 letters ending in LF or CRLF, and now and then
    /// an N or a stretch of other bytes.
    /// </summary>
    private static byte[] RandomSequence(Random random, int length)
    {
        var bytes = new byte[length];
        var column = 0;
        for (var i = 0; i < length; i++)
        {
            if (++column == 61)
            {
                column = 0;
                bytes[i] = random.Next(4) == 0 && i + 1 < length ? (byte)'\r' : (byte)'\n';
                if (bytes[i] == '\r')
                {
                    bytes[++i] = (byte)'\n';
                }
                continue;
            }
            var roll = random.Next(1000);
            bytes[i] = roll switch
            {
                < 3 => (byte)'N',
                < 4 => (byte)random.Next(256),
                < 100 => (byte)'A',
                _ => (byte)"ACGTacgt"[random.Next(8)],
            };
        }
        return bytes;
    }

    /// <summary>The sequence as the app defines it, derived here independently: whitespace removed, letters upper-cased, anything else kept (and matched by no motif).</summary>
    private static string Normalised(byte[] sequence) =>
        new([.. sequence.Where(b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            .Select(b => b is >= (byte)'a' and <= (byte)'z' ? (char)(b - 32) : b is (byte)'A' or (byte)'C' or (byte)'G' or (byte)'T' ? (char)b : 'N')]);

    /// <summary>Tries the motif at every position of the letters, overlapping ones included.</summary>
    private static long NaiveCount(string letters, string motif)
    {
        long count = 0;
        for (var i = 0; i + motif.Length <= letters.Length; i++)
        {
            if (string.CompareOrdinal(letters, i, motif, 0, motif.Length) == 0)
            {
                count++;
            }
        }
        return count;
    }
}

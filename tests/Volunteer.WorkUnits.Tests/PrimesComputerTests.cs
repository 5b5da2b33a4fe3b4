using System.Text;
using Volunteer.Apps.Primes;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

public sealed class PrimesComputerTests
{
    // Several segments of 2^19 numbers, so that checkpointing after every segment yields several checkpoints.
    private const long From = 1_000_003;
    private const long To = 5_000_000;

    private static readonly UnitInput Unit = new(7, Json.Unit(From, To));

    [Fact]
    public async Task The_payload_is_the_exact_prime_count_json()
    {
        var payload = await new PrimesApp().Computer.ComputeAsync(
            new UnitInput(0, Json.Unit(0, 100)), new RecordingContext(), CancellationToken.None);

        Assert.Equal("""{"primeCount":25}""", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public async Task Progress_rises_to_one_and_checkpoints_record_the_count_so_far_and_the_fraction_they_stand_for()
    {
        var context = new RecordingContext { TimeToCheckpoint = true };

        var payload = await Computer().ComputeAsync(Unit, context, CancellationToken.None);

        Assert.Equal(Json.Payload(PrimeSieve.CountPrimes(From, To)), payload);
        Assert.True(context.SavedCheckpoints.Count >= 3, $"Only {context.SavedCheckpoints.Count} checkpoints.");
        // Progress after every segment, one checkpoint after each but the last.
        Assert.Equal(context.SavedCheckpoints.Count + 1, context.Progress.Count);
        var previous = From;
        foreach (var (state, fraction) in context.SavedCheckpoints.Zip(context.CheckpointFractions))
        {
            Assert.Equal(16, state.Length);
            var (next, count) = Checkpoints.Decode(state);
            Assert.InRange(next, previous + 1, To - 1);
            Assert.Equal(PrimeSieve.CountPrimes(From, next), count);
            Assert.Equal((double)(next - From) / (To - From), fraction);
            previous = next;
        }
        Assert.Equal(context.CheckpointFractions, context.Progress[..^1]);
        Assert.All(context.Progress, fraction => Assert.InRange(fraction, 0.0, 1.0));
        Assert.Equal(context.Progress.Order(), context.Progress);
        Assert.Equal(1.0, context.Progress[^1]);
    }

    [Fact]
    public async Task No_checkpoint_is_saved_until_the_agent_says_it_is_time()
    {
        var context = new RecordingContext();

        var payload = await Computer().ComputeAsync(Unit, context, CancellationToken.None);

        Assert.Equal(Json.Payload(PrimeSieve.CountPrimes(From, To)), payload);
        Assert.Empty(context.SavedCheckpoints);
        Assert.True(context.Progress.Count >= 4, $"Only {context.Progress.Count} progress reports.");
    }

    [Fact]
    public async Task Resuming_from_any_checkpoint_gives_the_same_payload_with_less_work_and_reports_its_fraction_first()
    {
        var first = new RecordingContext { TimeToCheckpoint = true };
        var expected = await Computer().ComputeAsync(Unit, first, CancellationToken.None);

        foreach (var (state, fraction) in first.SavedCheckpoints.Zip(first.CheckpointFractions))
        {
            var resumed = new RecordingContext(state) { TimeToCheckpoint = true };

            var payload = await Computer().ComputeAsync(Unit, resumed, CancellationToken.None);

            Assert.Equal(expected, payload);
            Assert.True(resumed.SavedCheckpoints.Count < first.SavedCheckpoints.Count);
            Assert.Equal(fraction, resumed.Progress[0]);
        }
    }

    [Fact]
    public async Task A_stop_saves_the_work_done_before_the_unit_ends_and_the_unit_resumes_from_it()
    {
        using var cancellation = new CancellationTokenSource();
        RecordingContext? context = null;
        // The agent stops the unit after its third segment; its context then says it is time to checkpoint.
        context = new RecordingContext(onProgress: _ =>
        {
            if (context!.Progress.Count == 3)
            {
                cancellation.Cancel();
                context.TimeToCheckpoint = true;
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Computer().ComputeAsync(Unit, context, cancellation.Token));

        var state = Assert.Single(context.SavedCheckpoints);
        var (next, count) = Checkpoints.Decode(state);
        Assert.Equal(PrimeSieve.CountPrimes(From, next), count);
        Assert.Equal(context.Progress[^1], Assert.Single(context.CheckpointFractions));
        Assert.Equal((double)(next - From) / (To - From), context.Progress[^1]);
        var resumed = new RecordingContext(state);
        Assert.Equal(Json.Payload(PrimeSieve.CountPrimes(From, To)), await Computer().ComputeAsync(Unit, resumed, CancellationToken.None));
        Assert.Equal(context.Progress[^1], resumed.Progress[0]);
    }

    [Fact]
    public async Task A_checkpoint_that_resumes_at_the_end_of_the_unit_returns_its_count()
    {
        var payload = await Computer().ComputeAsync(
            Unit, new RecordingContext(Checkpoints.Encode(To, 12_345)), CancellationToken.None);

        Assert.Equal(Json.Payload(12_345), payload);
    }

    public static TheoryData<byte[]> CheckpointsOfAnotherUnit => new()
    {
        Array.Empty<byte>(),
        new byte[15],
        new byte[17],
        Checkpoints.Encode(From - 1, 0),
        Checkpoints.Encode(To + 1, 0),
        Checkpoints.Encode(From + 10, 11),
        Checkpoints.Encode(From + 10, -1),
    };

    [Theory]
    [MemberData(nameof(CheckpointsOfAnotherUnit))]
    public async Task A_checkpoint_that_cannot_belong_to_the_unit_is_ignored(byte[] state)
    {
        var context = new RecordingContext(state);

        var payload = await new PrimesApp().Computer.ComputeAsync(Unit, context, CancellationToken.None);

        Assert.Equal(Json.Payload(PrimeSieve.CountPrimes(From, To)), payload);
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_unit_before_it_starts()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Computer().ComputeAsync(Unit, new RecordingContext(), cancellation.Token));
    }

    [Fact]
    public async Task Cancelling_while_the_unit_runs_stops_it_between_segments()
    {
        using var cancellation = new CancellationTokenSource();
        var context = new RecordingContext(onProgress: _ => cancellation.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Computer().ComputeAsync(Unit, context, cancellation.Token));
        Assert.Single(context.Progress);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"from":0}""")]
    [InlineData("""{"from":10,"to":5}""")]
    [InlineData("""{"from":-1,"to":5}""")]
    [InlineData("""{"from":0,"to":10000000000000001}""")]
    [InlineData("""{"from":0,"to":5,"unitSize":5}""")]
    public async Task A_malformed_unit_is_refused(string json) =>
        await Assert.ThrowsAsync<InvalidDataException>(
            () => new PrimesApp().Computer.ComputeAsync(new UnitInput(0, json), new RecordingContext(), CancellationToken.None));

    private static IUnitComputer Computer() => new PrimesApp().Computer;
}

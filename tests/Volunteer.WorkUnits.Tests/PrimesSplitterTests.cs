using Volunteer.Apps.Primes;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

public sealed class PrimesSplitterTests
{
    private readonly IJobSplitter _splitter = new PrimesApp().Splitter;

    [Theory]
    [InlineData(0L, 100L, 10L, 10L)]
    [InlineData(5L, 100L, 10L, 10L)]
    [InlineData(0L, 101L, 10L, 11L)]
    [InlineData(0L, 1L, 1L, 1L)]
    [InlineData(0L, 7L, 100L, 1L)]
    [InlineData(3L, 1_000_000_000L, 1L, 999_999_997L)]
    public void Plan_counts_units_rounding_up(long from, long to, long unitSize, long expected) =>
        Assert.Equal(expected, _splitter.Plan(Json.Parse(Json.Job(from, to, unitSize))).UnitCount);

    [Fact]
    public void Units_tile_the_range_from_from_to_to_with_a_shorter_last_unit()
    {
        var parameters = Json.Parse(Json.Job(5, 100, 10));

        var units = _splitter.Split(parameters, 0).ToList();

        Assert.Equal(10, units.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), units.Select(u => u.Index));
        Assert.Equal(Json.Unit(5, 15), units[0].Json);
        Assert.Equal(Json.Unit(85, 95), units[8].Json);
        Assert.Equal(Json.Unit(95, 100), units[9].Json);
    }

    [Fact]
    public void Units_cover_the_range_exactly_once_and_their_prime_counts_add_up()
    {
        var app = new PrimesApp();
        var parameters = Json.Parse(Json.Job(0, 1_000, 7));
        var total = 0L;
        var expectedFrom = 0L;

        foreach (var unit in app.Splitter.Split(parameters, 0))
        {
            var (from, to) = ParseUnit(unit.Json);
            Assert.Equal(expectedFrom, from);
            Assert.True(to - from is > 0 and <= 7);
            total += PrimeSieve.CountPrimes(from, to);
            expectedFrom = to;
        }

        Assert.Equal(1_000, expectedFrom);
        Assert.Equal(168, total);
    }

    [Fact]
    public void Split_can_start_from_a_middle_index()
    {
        var parameters = Json.Parse(Json.Job(5, 100, 10));

        var units = _splitter.Split(parameters, 3).ToList();

        Assert.Equal(7, units.Count);
        Assert.Equal(new UnitInput(3, Json.Unit(35, 45)), units[0]);
        Assert.Equal(new UnitInput(9, Json.Unit(95, 100)), units[^1]);
    }

    [Theory]
    [InlineData(10L)]
    [InlineData(11L)]
    [InlineData(long.MaxValue)]
    public void Split_from_the_end_or_beyond_yields_nothing(long firstUnitIndex) =>
        Assert.Empty(_splitter.Split(Json.Parse(Json.Job(5, 100, 10)), firstUnitIndex));

    [Fact]
    public void Split_from_a_negative_index_throws_at_the_call()
    {
        var parameters = Json.Parse(Json.Job(5, 100, 10));

        Assert.Throws<ArgumentOutOfRangeException>(() => _splitter.Split(parameters, -1));
    }

    [Fact]
    public void Split_checks_the_parameters_at_the_call()
    {
        var parameters = Json.Parse(Json.Job(100, 5, 10));

        Assert.Throws<InvalidJobParametersException>(() => _splitter.Split(parameters, 0));
    }

    [Fact]
    public void A_job_of_a_billion_units_is_planned_and_split_lazily()
    {
        // 10^16 / 10^7 = 10^9 units: materialising them would exhaust memory long before this ends.
        var parameters = Json.Parse(Json.Job(0, 10_000_000_000_000_000, 10_000_000));

        var count = _splitter.Plan(parameters).UnitCount;
        var first = _splitter.Split(parameters, 0).Take(3).ToList();
        var last = _splitter.Split(parameters, count - 1).ToList();

        Assert.Equal(1_000_000_000, count);
        Assert.Equal(
            [
                new UnitInput(0, Json.Unit(0, 10_000_000)),
                new UnitInput(1, Json.Unit(10_000_000, 20_000_000)),
                new UnitInput(2, Json.Unit(20_000_000, 30_000_000)),
            ],
            first);
        Assert.Equal([new UnitInput(999_999_999, Json.Unit(9_999_999_990_000_000, 10_000_000_000_000_000))], last);
    }

    [Fact]
    public void The_largest_accepted_values_are_accepted()
    {
        Assert.Equal(1_000_000_000, _splitter.Plan(Json.Parse(Json.Job(0, 1_000_000_000, 1))).UnitCount);
        Assert.Equal(
            100_000,
            _splitter.Plan(Json.Parse(Json.Job(0, 10_000_000_000_000_000, 100_000_000_000))).UnitCount);
    }

    [Theory]
    [InlineData("""{"from":-1,"to":100,"unitSize":10}""", "from must be at least 0")]
    [InlineData("""{"from":100,"to":5,"unitSize":10}""", "to must be greater than from")]
    [InlineData("""{"from":5,"to":5,"unitSize":10}""", "to must be greater than from")]
    [InlineData("""{"from":0,"to":10000000000000001,"unitSize":10000000}""", "to must be at most")]
    [InlineData("""{"from":0,"to":100,"unitSize":0}""", "unitSize must be at least 1")]
    [InlineData("""{"from":0,"to":100,"unitSize":-5}""", "unitSize must be at least 1")]
    [InlineData("""{"from":0,"to":1000000000000,"unitSize":100000000001}""", "unitSize must be at most")]
    [InlineData("""{"from":0,"to":1000000001,"unitSize":1}""", "unitSize must be large enough")]
    [InlineData("""{"from":0,"to":100}""", "field unitSize is missing")]
    [InlineData("""{"to":100,"unitSize":10}""", "field from is missing")]
    [InlineData("""{"from":0,"unitSize":10}""", "field to is missing")]
    [InlineData("""{"from":0.5,"to":100,"unitSize":10}""", "from must be an integer")]
    [InlineData("""{"from":0,"to":1e3,"unitSize":10}""", "to must be an integer")]
    [InlineData("""{"from":0,"to":"100","unitSize":10}""", "to must be an integer")]
    [InlineData("""{"from":0,"to":100,"unitSize":null}""", "unitSize must be an integer")]
    [InlineData("""{"from":0,"to":99999999999999999999,"unitSize":10}""", "to must be an integer")]
    [InlineData("""{"From":0,"to":100,"unitSize":10}""", "unknown field 'From'")]
    [InlineData("""{"from":0,"to":100,"unitSize":10,"step":2}""", "unknown field 'step'")]
    [InlineData("""{"from":0,"from":1,"to":100,"unitSize":10}""", "field from appears more than once")]
    [InlineData("""[0,100,10]""", "expected a JSON object")]
    [InlineData("42", "expected a JSON object")]
    [InlineData("null", "expected a JSON object")]
    public void Bad_parameters_are_refused_with_a_message_naming_the_problem(string parameters, string message)
    {
        var json = Json.Parse(parameters);

        var error = Assert.Throws<InvalidJobParametersException>(() => _splitter.Plan(json));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static (long From, long To) ParseUnit(string json)
    {
        var element = Json.Parse(json);
        return (element.GetProperty("from").GetInt64(), element.GetProperty("to").GetInt64());
    }
}

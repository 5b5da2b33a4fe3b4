using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Apps.Checksum;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

public sealed class ChecksumAppTests
{
    private static readonly ChecksumApp App = new();

    [Fact]
    public async Task A_job_of_three_units_reduces_to_their_count_and_the_xor_of_their_hashes()
    {
        var parameters = JsonDocument.Parse("""{"units":3,"seed":7}""").RootElement;
        var units = App.Splitter.Split(parameters, 0).ToList();
        var accumulated = App.Reducer.Seed(parameters);
        var xor = new byte[32];
        foreach (var unit in units)
        {
            var payload = await App.Computer.ComputeAsync(unit, null!, CancellationToken.None);
            var expected = SHA256.HashData([7, 0, 0, 0, 0, 0, 0, 0, (byte)unit.Index, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal(expected, payload);
            for (var i = 0; i < 32; i++)
            {
                xor[i] ^= expected[i];
            }
            accumulated = App.Reducer.Fold(accumulated, unit, payload);
        }

        Assert.Equal(3, App.Splitter.Plan(parameters).UnitCount);
        Assert.Equal(["""{"seed":7,"index":0}""", """{"seed":7,"index":1}""", """{"seed":7,"index":2}"""], units.Select(u => u.Json));
        Assert.Equal($$"""{"units":3,"xor":"{{Convert.ToHexStringLower(xor)}}"}""", accumulated);
    }

    [Theory]
    [InlineData("""{"units":0,"seed":1}""", "units must be between 1 and 1000000000")]
    [InlineData("""{"units":5}""", "the field seed is missing")]
    [InlineData("""{"units":5,"seed":1,"extra":2}""", "unknown field 'extra'")]
    public void Bad_parameters_name_the_problem(string json, string message)
    {
        var error = Assert.Throws<InvalidJobParametersException>(() => App.Splitter.Plan(JsonDocument.Parse(json).RootElement));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Splitting_ten_million_units_from_the_end_is_immediate_and_lazy()
    {
        var parameters = JsonDocument.Parse("""{"units":10000000,"seed":0}""").RootElement;

        Assert.Equal(9_999_999, Assert.Single(App.Splitter.Split(parameters, 9_999_999)).Index);
        Assert.Equal([0L, 1L], App.Splitter.Split(parameters, 0).Take(2).Select(u => u.Index));
    }
}

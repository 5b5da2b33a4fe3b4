using System.Text;
using Volunteer.Apps;
using Volunteer.Apps.Primes;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

public sealed class PrimesResultTests
{
    private readonly PrimesApp _app = new();

    [Fact]
    public void The_catalog_finds_the_app_by_its_exact_name()
    {
        Assert.IsType<PrimesApp>(ScienceAppCatalog.BuiltIn.Find("primes"));
        Assert.Null(ScienceAppCatalog.BuiltIn.Find("Primes"));
        Assert.Equal("primes", _app.Name);
    }

    [Fact]
    public void The_reducer_starts_at_zero_and_sums_the_payloads()
    {
        var parameters = Json.Parse(Json.Job(0, 300, 100));
        var units = _app.Splitter.Split(parameters, 0).ToList();

        var result = _app.Reducer.Seed(parameters);
        Assert.Equal("""{"primeCount":0}""", result);
        result = _app.Reducer.Fold(result, units[2], Json.Payload(16));
        result = _app.Reducer.Fold(result, units[0], Json.Payload(25));
        result = _app.Reducer.Fold(result, units[1], Json.Payload(21));

        Assert.Equal("""{"primeCount":62}""", result);
    }

    [Fact]
    public async Task Splitting_computing_and_reducing_a_job_counts_its_primes()
    {
        var parameters = Json.Parse(Json.Job(0, 1_000_000, 99_999));
        var result = _app.Reducer.Seed(parameters);

        foreach (var unit in _app.Splitter.Split(parameters, 0))
        {
            var payload = await _app.Computer.ComputeAsync(unit, new RecordingContext(), CancellationToken.None);
            result = _app.Reducer.Fold(result, unit, payload);
        }

        Assert.Equal("""{"primeCount":78498}""", result);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[25]")]
    [InlineData("""{"primeCount":-1}""")]
    [InlineData("""{"primeCount":2.5}""")]
    [InlineData("""{"primeCount":"25"}""")]
    [InlineData("""{"count":25}""")]
    [InlineData("""{"primeCount":25,"extra":1}""")]
    [InlineData("""{"primeCount":25}{"primeCount":25}""")]
    [InlineData("""{"primeCount":101}""")]
    public void The_reducer_refuses_a_malformed_payload(string payload)
    {
        var unit = new UnitInput(0, Json.Unit(0, 100));

        Assert.Throws<InvalidDataException>(
            () => _app.Reducer.Fold("""{"primeCount":0}""", unit, Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public async Task Honest_results_agree_by_digest_and_a_different_count_does_not()
    {
        var unit = new UnitInput(0, Json.Unit(0, 1_000_000));
        var first = await _app.Computer.ComputeAsync(unit, new RecordingContext(), CancellationToken.None);
        // Checkpointed after every segment: saving as it goes changes nothing of the result.
        var second = await new PrimesApp().Computer.ComputeAsync(
            unit, new RecordingContext { TimeToCheckpoint = true }, CancellationToken.None);
        var wrong = Json.Payload(78_497);

        Assert.Same(DigestComparator.Instance, _app.Comparator);
        Assert.True(_app.Comparator.Agree(Summary(first), Summary(second)));
        Assert.False(_app.Comparator.Agree(Summary(first), Summary(wrong)));
    }

    [Fact]
    public void Content_digests_are_sha256_in_lowercase_hex()
    {
        var digest = ContentDigest.Of(Json.Payload(25));

        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        Assert.Equal(71, digest.Length);
        Assert.True(ContentDigest.IsWellFormed(digest));
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ContentDigest.Of([]));
        Assert.False(ContentDigest.IsWellFormed(digest.ToUpperInvariant()));
        Assert.False(ContentDigest.IsWellFormed(digest[..^1]));
        Assert.False(ContentDigest.IsWellFormed("md5:" + digest[7..]));
        Assert.False(ContentDigest.IsWellFormed(null));
    }

    private static ResultSummary Summary(byte[] payload) => new(ContentDigest.Of(payload), payload.Length, payload);
}

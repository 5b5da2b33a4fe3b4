using System.Text;
using System.Text.Json;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;
using Volunteer.Apps;
using Volunteer.Sdk;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

public sealed class UnitRunnerTests : IDisposable
{
    private readonly TempDirectory _state = new();

    [Fact]
    public async Task A_unit_is_computed_into_a_report_with_digest_size_and_inline_payload()
    {
        var runner = new UnitRunner(ScienceAppCatalog.BuiltIn, new WorkFolder(_state.Path), inlinePayloadLimit: 1024);

        var report = await runner.RunAsync(Assignment("primes", """{"from":0,"to":1000}"""), CancellationToken.None);

        var payload = Encoding.UTF8.GetBytes("""{"primeCount":168}""");
        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Equal(ContentDigest.Of(payload), report.Digest);
        Assert.Equal(payload.Length, report.Size);
        Assert.Equal(Convert.ToBase64String(payload), report.Payload);
    }

    [Fact]
    public async Task An_unknown_app_or_a_bad_input_becomes_an_error_report()
    {
        var runner = new UnitRunner(ScienceAppCatalog.BuiltIn, new WorkFolder(_state.Path), inlinePayloadLimit: 1024);

        var unknown = await runner.RunAsync(Assignment("seti", "{}"), CancellationToken.None);
        var bad = await runner.RunAsync(Assignment("primes", """{"from":5}"""), CancellationToken.None);

        Assert.Equal((ReportOutcome.Error, "This worker does not have the app 'seti'."), (unknown.Outcome, unknown.Error));
        Assert.Equal(ReportOutcome.Error, bad.Outcome);
        Assert.Null(bad.Digest);
        Assert.StartsWith("InvalidDataException", bad.Error);
    }

    [Fact]
    public async Task A_payload_above_the_inline_limit_is_reported_as_an_error()
    {
        var runner = new UnitRunner(ScienceAppCatalog.BuiltIn, new WorkFolder(_state.Path), inlinePayloadLimit: 4);

        var report = await runner.RunAsync(Assignment("primes", """{"from":0,"to":1000}"""), CancellationToken.None);

        Assert.Equal("The result (18 bytes) is above the 4-byte inline limit.", report.Error);
    }

    [Fact]
    public async Task Cancellation_propagates_so_the_lease_is_kept_for_a_resume()
    {
        var runner = new UnitRunner(ScienceAppCatalog.BuiltIn, new WorkFolder(_state.Path), inlinePayloadLimit: 1024);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            runner.RunAsync(Assignment("primes", """{"from":0,"to":1000000000}"""), new CancellationToken(canceled: true)));
    }

    public void Dispose() => _state.Dispose();

    private static Assignment Assignment(string app, string input) =>
        new(Guid.NewGuid(), 0, 0, app, JsonDocument.Parse(input).RootElement.Clone(), DateTimeOffset.MaxValue);
}

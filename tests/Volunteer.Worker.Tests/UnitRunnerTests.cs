using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Peers;
using Volunteer.Apps;
using Volunteer.Sdk;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

public sealed class UnitRunnerTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly ProgressLog _progress = new();
    private readonly List<IDisposable> _disposables = [];

    [Fact]
    public async Task A_unit_is_computed_into_a_report_with_digest_size_and_inline_payload()
    {
        var report = await Runner(ScienceAppCatalog.BuiltIn).RunAsync(Assignment("primes", """{"from":0,"to":1000}"""), _progress, CancellationToken.None);

        var payload = Encoding.UTF8.GetBytes("""{"primeCount":168}""");
        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Equal(ContentDigest.Of(payload), report.Digest);
        Assert.Equal(payload.Length, report.Size);
        Assert.Equal(Convert.ToBase64String(payload), report.Payload);
        Assert.Equal([1.0], _progress.Reported);
    }

    [Fact]
    public async Task An_unknown_app_or_a_bad_input_becomes_an_error_report()
    {
        var runner = Runner(ScienceAppCatalog.BuiltIn);

        var unknown = await runner.RunAsync(Assignment("seti", "{}"), _progress, CancellationToken.None);
        var bad = await runner.RunAsync(Assignment("primes", """{"from":5}"""), _progress, CancellationToken.None);

        Assert.Equal((ReportOutcome.Error, "This worker does not have the app 'seti'."), (unknown.Outcome, unknown.Error));
        Assert.Equal(ReportOutcome.Error, bad.Outcome);
        Assert.Null(bad.Digest);
        Assert.StartsWith("InvalidDataException", bad.Error);
    }

    [Fact]
    public async Task A_payload_above_the_coordinators_inline_limit_is_kept_in_the_cache_pinned_and_reported_by_digest_and_size_only()
    {
        var assignment = Assignment("primes", """{"from":0,"to":1000}""");
        var report = await Runner(ScienceAppCatalog.BuiltIn, SyncLimits.Default with { InlinePayloadLimit = 4 })
            .RunAsync(assignment, _progress, CancellationToken.None);

        var payload = Encoding.UTF8.GetBytes("""{"primeCount":168}""");
        Assert.Equal(new ReplicaReport(assignment.JobId, 0, 0, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length), report);
        using var kept = new BlobCache(_state.Path, 1024, TimeProvider.System).OpenRead(report.Digest!);
        Assert.Equal(payload, ReadAll(kept!));
        // Pinned as an unreleased result: a cache with no room for anything else evicts nothing to make room.
        Assert.Throws<BlobCacheFullException>(() => new BlobCache(_state.Path, payload.Length, TimeProvider.System).StoreResult(new ReplicaRef(Guid.NewGuid(), 0, 0), [1]));
    }

    [Fact]
    public async Task A_payload_above_the_projects_largest_result_is_reported_as_an_error()
    {
        var report = await Runner(ScienceAppCatalog.BuiltIn, SyncLimits.Default with { InlinePayloadLimit = 4, MaxResultBytes = 17 })
            .RunAsync(Assignment("primes", """{"from":0,"to":1000}"""), _progress, CancellationToken.None);

        Assert.Equal((ReportOutcome.Error, "The result (18 bytes) is above the project's 17-byte limit."), (report.Outcome, report.Error));
    }

    [Fact]
    public async Task Error_messages_are_cut_to_the_coordinators_limit()
    {
        var report = await Runner(ScienceAppCatalog.BuiltIn, SyncLimits.Default with { MaxErrorLength = 11 })
            .RunAsync(Assignment("seti", "{}"), _progress, CancellationToken.None);

        Assert.Equal("This worker", report.Error);
    }

    [Fact]
    public async Task An_error_message_is_not_cut_between_the_halves_of_a_surrogate_pair()
    {
        var apps = new ScienceAppCatalog([new TestApp((_, _, _) => throw new InvalidOperationException("🙂🙂"))]);

        var report = await Runner(apps, SyncLimits.Default with { MaxErrorLength = "InvalidOperationException: 🙂".Length + 1 })
            .RunAsync(Assignment(TestApp.AppName, "{}"), _progress, CancellationToken.None);

        Assert.Equal("InvalidOperationException: 🙂", report.Error);
    }

    [Fact]
    public async Task Progress_reports_reach_the_agent_within_zero_to_one_and_non_numbers_are_passed_over()
    {
        var apps = new ScienceAppCatalog([new TestApp((_, context, _) =>
        {
            foreach (var fraction in new[] { 0.25, double.NaN, 1.5, -0.5, double.PositiveInfinity })
            {
                context.ReportProgress(fraction);
            }
            return Task.FromResult<byte[]>([1]);
        })]);

        await Runner(apps).RunAsync(Assignment(TestApp.AppName, "{}"), _progress, CancellationToken.None);

        Assert.Equal([0.25, 1.0, 0.0], _progress.Reported);
    }

    [Fact]
    public async Task Cancellation_propagates_so_the_lease_is_kept_for_a_resume()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Runner(ScienceAppCatalog.BuiltIn).RunAsync(Assignment("primes", """{"from":0,"to":1000000000}"""), _progress, new CancellationToken(canceled: true)));
    }

    public void Dispose()
    {
        _disposables.ForEach(d => d.Dispose());
        _state.Dispose();
    }

    private UnitRunner Runner(ScienceAppCatalog apps, SyncLimits? limits = null)
    {
        var identity = AttachedWorker.Identity(limits);
        var key = identity.LoadKey();
        var services = AgentUnderTest.Services(new WorkerOptions { StateDirectory = _state.Path }, identity, key, new ScriptedHandler(), TimeProvider.System, apps);
        _disposables.Add(services);
        _disposables.Add(key);
        return services.GetRequiredService<UnitRunner>();
    }

    private static Assignment Assignment(string app, string input) =>
        new(Guid.NewGuid(), 0, 0, app, JsonDocument.Parse(input).RootElement.Clone(), DateTimeOffset.MaxValue);

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class ProgressLog : IProgress<double>
    {
        public List<double> Reported { get; } = [];

        public void Report(double value) => Reported.Add(value);
    }
}

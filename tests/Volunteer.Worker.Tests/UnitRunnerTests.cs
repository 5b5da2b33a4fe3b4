using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Apps;
using Volunteer.Sdk;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

public sealed class UnitRunnerTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly UnitRun _progress = new();
    private readonly List<IDisposable> _disposables = [];

    [Fact]
    public async Task A_unit_is_computed_into_a_report_with_digest_size_and_inline_payload()
    {
        var assignment = Assignment("primes", """{"from":0,"to":1000}""");
        var report = await Runner(ScienceAppCatalog.BuiltIn).RunAsync(assignment, _progress, CancellationToken.None);

        var payload = Encoding.UTF8.GetBytes("""{"primeCount":168}""");
        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Equal(ContentDigest.Of(payload), report.Digest);
        Assert.Equal(payload.Length, report.Size);
        Assert.Equal(Convert.ToBase64String(payload), report.Payload);
        // One segment: the only report is the last.
        Assert.Equal((1.0, 1.0, null, null), (_progress.FirstProgress, _progress.FractionDone, _progress.ResumedFrom, _progress.CheckpointFraction));
        // Admitted by the governor: the agent's snapshot reads the unit's CPU time and thread from its gate.
        Assert.Equal(assignment.Ref, _progress.Gate?.Unit);
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

        Assert.Equal((0.25, 0.0), (_progress.FirstProgress, _progress.FractionDone));
    }

    [Fact]
    public async Task Cancellation_propagates_so_the_lease_is_kept_for_a_resume()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Runner(ScienceAppCatalog.BuiltIn).RunAsync(Assignment("primes", """{"from":0,"to":1000000000}"""), _progress, new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task It_is_time_to_checkpoint_once_the_owners_interval_has_passed_since_the_start_or_the_last_checkpoint()
    {
        var time = new FakeTimeProvider(AgentUnderTest.StartTime);
        List<bool> answers = [];
        ComputeGovernor? governor = null;
        var apps = new ScienceAppCatalog([new TestApp(async (_, context, _) =>
        {
            answers.Add(context.TimeToCheckpoint);
            time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
            answers.Add(context.TimeToCheckpoint);
            time.Advance(TimeSpan.FromTicks(1));
            answers.Add(context.TimeToCheckpoint);
            await context.SaveCheckpointAsync(new byte[] { 7 }, 0.3, CancellationToken.None);
            answers.Add(context.TimeToCheckpoint);
            time.Advance(TimeSpan.FromSeconds(3));
            answers.Add(context.TimeToCheckpoint);
            // A shorter interval set while the unit runs applies to it at once.
            governor!.Apply(new ComputeLimits { CheckpointInterval = TimeSpan.FromSeconds(2) });
            answers.Add(context.TimeToCheckpoint);
            return [1];
        })]);
        var services = Services(apps, time: time);
        governor = services.GetRequiredService<ComputeGovernor>();
        governor.Apply(new ComputeLimits { CheckpointInterval = TimeSpan.FromSeconds(10) });

        var report = await services.GetRequiredService<UnitRunner>().RunAsync(Assignment(TestApp.AppName, "{}"), _progress, CancellationToken.None);

        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Equal([false, false, true, false, false, true], answers);
        Assert.Equal((0.3, AgentUnderTest.StartTime.AddSeconds(10)), (_progress.CheckpointFraction, _progress.LastCheckpointAt));
    }

    [Fact]
    public async Task A_unit_whose_app_needs_more_memory_than_the_owner_allows_per_unit_is_not_run_and_one_within_it_is()
    {
        var services = Services(ScienceAppCatalog.BuiltIn);
        var governor = services.GetRequiredService<ComputeGovernor>();
        // primes up to 10^16 sieves with the 5.8 million primes below 10^8: tens of MiB; up to 10^6, a segment's worth.
        var big = Assignment("primes", """{"from":9999999999000000,"to":10000000000000000}""");
        var small = Assignment("primes", """{"from":0,"to":1000000}""");
        governor.Apply(new ComputeLimits { MemoryPerUnitBytes = 16L * 1024 * 1024 });

        var refused = await services.GetRequiredService<UnitRunner>().RunAsync(big, _progress, CancellationToken.None);
        var computed = await services.GetRequiredService<UnitRunner>().RunAsync(small, new UnitRun(), CancellationToken.None);

        Assert.Equal(ReportOutcome.Error, refused.Outcome);
        Assert.StartsWith("Not run on this host: the unit needs ", refused.Error, StringComparison.Ordinal);
        Assert.EndsWith("above the owner's limit of 16 MiB per unit.", refused.Error, StringComparison.Ordinal);
        // Refused before it started: it never reported progress, nor was it admitted by the governor.
        Assert.Equal((0.0, null), (_progress.FractionDone, _progress.Gate));
        Assert.Equal(ReportOutcome.Success, computed.Outcome);
    }

    [Fact]
    public void The_default_checkpoint_interval_is_a_minute()
    {
        var services = Services(ScienceAppCatalog.BuiltIn);

        Assert.Equal(TimeSpan.FromSeconds(60), services.GetRequiredService<ComputeGovernor>().Limits.CheckpointInterval);
    }

    [Fact]
    public async Task A_stopped_unit_is_told_it_is_time_to_checkpoint_and_the_next_run_resumes_from_that_checkpoint_and_its_fraction()
    {
        var time = new FakeTimeProvider(AgentUnderTest.StartTime);
        using var stop = new CancellationTokenSource();
        var assignment = Assignment(TestApp.AppName, "{}");
        List<bool> answers = [];
        ReadOnlyMemory<byte>? resumedState = null;
        var apps = new ScienceAppCatalog([new TestApp(async (_, context, cancellationToken) =>
        {
            if (context.Checkpoint is { } state)
            {
                resumedState = state;
                context.ReportProgress(0.75);
                return [2];
            }
            context.ReportProgress(0.625);
            answers.Add(context.TimeToCheckpoint);
            await stop.CancelAsync();
            answers.Add(context.TimeToCheckpoint);
            time.Advance(TimeSpan.FromSeconds(1));
            await context.SaveCheckpointAsync(new byte[] { 4, 5, 6 }, 0.625, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return [1];
        })]);
        var runner = Runner(apps, time: time);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(assignment, _progress, stop.Token));

        Assert.Equal([false, true], answers);
        var saved = new WorkFolder(_state.Path).Checkpoint(assignment.Ref);
        Assert.Equal((0.625, AgentUnderTest.StartTime.AddSeconds(1)), (saved!.FractionDone, saved.WrittenAt));
        Assert.Equal([4, 5, 6], saved.State.ToArray());

        var again = new UnitRun();
        var report = await runner.RunAsync(assignment, again, CancellationToken.None);

        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Equal([4, 5, 6], resumedState!.Value.ToArray());
        Assert.Equal((0.625, 0.75, 0.625, AgentUnderTest.StartTime.AddSeconds(1)),
            (again.ResumedFrom, again.FirstProgress, again.CheckpointFraction, again.LastCheckpointAt));
    }

    [Fact]
    public async Task A_checkpoint_file_that_is_damaged_or_cut_short_is_never_resumed_from()
    {
        var assignment = Assignment(TestApp.AppName, "{}");
        var folder = new WorkFolder(_state.Path);
        folder.SaveCheckpoint(assignment.Ref, new SavedCheckpoint(new byte[] { 1, 2, 3, 4 }, 0.5, AgentUnderTest.StartTime));
        var path = Directory.GetFiles(Path.Combine(_state.Path, "checkpoints")).Single();
        var whole = File.ReadAllBytes(path);
        List<ReadOnlyMemory<byte>?> seen = [];
        var runner = Runner(new ScienceAppCatalog([new TestApp((_, context, _) =>
        {
            seen.Add(context.Checkpoint);
            return Task.FromResult<byte[]>([1]);
        })]));

        var runs = new List<UnitRun>();
        foreach (var damaged in new[] { whole[..^1], whole[..10], Flipped(whole, whole.Length - 1), Flipped(whole, 5), Flipped(whole, 25), [] })
        {
            File.WriteAllBytes(path, damaged);
            var run = new UnitRun();
            runs.Add(run);
            await runner.RunAsync(assignment, run, CancellationToken.None);
            folder.SaveCheckpoint(assignment.Ref, new SavedCheckpoint(new byte[] { 1, 2, 3, 4 }, 0.5, AgentUnderTest.StartTime));
        }

        Assert.All(seen, checkpoint => Assert.Null(checkpoint));
        Assert.All(runs, run => Assert.Null(run.ResumedFrom));
    }

    [Fact]
    public async Task A_crash_in_the_middle_of_a_checkpoint_write_leaves_the_previous_checkpoint_to_resume_from()
    {
        var assignment = Assignment(TestApp.AppName, "{}");
        new WorkFolder(_state.Path).SaveCheckpoint(assignment.Ref, new SavedCheckpoint(new byte[] { 1, 2 }, 0.25, AgentUnderTest.StartTime));
        var path = Directory.GetFiles(Path.Combine(_state.Path, "checkpoints")).Single();
        // What a kill during the next save leaves: the new checkpoint half written beside the durable one.
        var next = new SavedCheckpoint(new byte[] { 3, 4, 5 }, 0.5, AgentUnderTest.StartTime.AddMinutes(1)).ToBytes();
        File.WriteAllBytes(path + ".tmp", next[..(next.Length / 2)]);
        ReadOnlyMemory<byte>? resumed = null;
        var runner = Runner(new ScienceAppCatalog([new TestApp((_, context, _) =>
        {
            resumed = context.Checkpoint;
            return Task.FromResult<byte[]>([1]);
        })]));

        await runner.RunAsync(assignment, _progress, CancellationToken.None);

        Assert.Equal([1, 2], resumed!.Value.ToArray());
        Assert.Equal((0.25, AgentUnderTest.StartTime), (_progress.ResumedFrom, _progress.LastCheckpointAt));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_written_does_not_fail_the_unit()
    {
        var assignment = Assignment(TestApp.AppName, "{}");
        // Where the checkpoint file would go there is a folder: the save fails as on a full or broken disk.
        Directory.CreateDirectory(Path.Combine(_state.Path, "checkpoints", $"{assignment.JobId:N}-0-0.bin", "in-the-way"));
        var apps = new ScienceAppCatalog([new TestApp(async (_, context, _) =>
        {
            await context.SaveCheckpointAsync(new byte[] { 1 }, 0.5, CancellationToken.None);
            return [1];
        })]);

        var report = await Runner(apps).RunAsync(assignment, _progress, CancellationToken.None);

        Assert.Equal(ReportOutcome.Success, report.Outcome);
        Assert.Null(_progress.CheckpointFraction);
    }

    [Fact]
    public async Task A_paused_unit_waits_in_its_progress_report_and_when_stopped_there_is_told_to_checkpoint()
    {
        using var stop = new CancellationTokenSource();
        var reporting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var paused = new ManualResetEventSlim();
        var passed = 0;
        bool? timeToCheckpoint = null;
        var services = Services(new ScienceAppCatalog([new TestApp((_, context, cancellationToken) =>
        {
            context.ReportProgress(0.1);
            Volatile.Write(ref passed, 1);
            reporting.SetResult();
            paused.Wait(cancellationToken);
            context.ReportProgress(0.2);
            Volatile.Write(ref passed, 2);
            timeToCheckpoint = context.TimeToCheckpoint;
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult<byte[]>([1]);
        })]));
        var governor = services.GetRequiredService<ComputeGovernor>();
        var runner = services.GetRequiredService<UnitRunner>();

        var run = Task.Run(() => runner.RunAsync(Assignment(TestApp.AppName, "{}"), _progress, stop.Token));
        await reporting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        governor.PauseByOwner(null);
        paused.Set();
        // Paused before its second report: the report holds the unit, however long the pause.
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref passed));
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((2, true), (passed, timeToCheckpoint));
        Assert.Equal(0.2, _progress.FractionDone);
    }

    private static byte[] Flipped(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    public void Dispose()
    {
        _disposables.ForEach(d => d.Dispose());
        _state.Dispose();
    }

    private UnitRunner Runner(ScienceAppCatalog apps, SyncLimits? limits = null, TimeProvider? time = null) =>
        Services(apps, limits, time).GetRequiredService<UnitRunner>();

    private ServiceProvider Services(ScienceAppCatalog apps, SyncLimits? limits = null, TimeProvider? time = null)
    {
        var identity = AttachedWorker.Identity(limits);
        var key = identity.LoadKey();
        var services = AgentUnderTest.Services(new WorkerOptions { StateDirectory = _state.Path }, identity, key, new ScriptedHandler(), time ?? TimeProvider.System, apps);
        _disposables.Add(services);
        _disposables.Add(key);
        return services;
    }

    private static Assignment Assignment(string app, string input) =>
        new(Guid.NewGuid(), 0, 0, app, JsonDocument.Parse(input).RootElement.Clone(), DateTimeOffset.MaxValue);

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

}

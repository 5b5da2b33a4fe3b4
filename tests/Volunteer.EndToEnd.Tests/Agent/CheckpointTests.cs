using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// A long primes unit on one real agent process: killed (SIGKILL) or stopped (SIGTERM) mid-unit, the agent restarted on
/// its state resumes the unit from its last checkpoint, as its state on disk shows, and the unit completes with the true
/// count. The checkpoint's fraction is read from the checkpoint file itself, what resumed from where from the agent's
/// status file; nothing is inferred from timing.
/// </summary>
public sealed class CheckpointTests(ITestOutputHelper output)
{
    /// <summary>π(2 × 10^10) (a fact nobody here invented), one unit of 20 to 30 s of one core's sieving on the 2-core test machine.</summary>
    private const long PrimesBelowTwentyBillion = 882_206_716;

    /// <summary>π(10^10), one unit of 12 to 15 s of sieving.</summary>
    private const long PrimesBelowTenBillion = 455_052_511;

    /// <summary>A unit takes this long at most even on a loaded machine; the wait for its job is bounded by it.</summary>
    private static readonly TimeSpan UnitTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task An_agent_killed_mid_unit_resumes_from_its_last_checkpoint_and_the_unit_completes_with_the_true_count()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var worker = cluster.Workers[0];
        worker.Settings["Worker__CheckpointInterval"] = "00:00:02";
        worker.Settings["Worker__StatusInterval"] = "00:00:00.200";
        var job = await cluster.SubmitAsync(cluster.Coordinator, OneUnitPrimesJob(to: 20_000_000_000));
        Assert.Equal(1, job.UnitCount);

        worker.Start();
        // A fifth of the unit in: a restart that started over would be plain to see.
        var saved = await Eventually.WaitAsync(
            "a checkpoint on the agent's disk a fifth of the way into the unit",
            () => Task.FromResult(LastCheckpoint(worker, job.Id) is { FractionDone: >= 0.2 } checkpoint ? checkpoint : null),
            () => cluster.Diagnostics(), UnitTimeout);
        cluster.Log($"checkpoint at {saved.FractionDone:0.####} written {saved.WrittenAt:O}");

        await worker.KillAsync();
        // Read after the kill: the agent may have saved another one between the look above and the kill.
        var atKill = LastCheckpoint(worker, job.Id);
        Assert.NotNull(atKill);
        Assert.True(atKill.FractionDone >= saved.FractionDone && atKill.FractionDone < 1, $"Checkpoint at {atKill.FractionDone} after one at {saved.FractionDone}.");
        cluster.Log($"{worker.Name} killed (SIGKILL); its last checkpoint stands for {atKill.FractionDone:0.####} of the unit");

        var restartedAt = DateTimeOffset.UtcNow;
        worker.Start();
        var resumed = await RunningUnitAsync(cluster, worker, job.Id, restartedAt);
        cluster.Log($"restarted: resumed from {resumed.ResumedFrom}, first progress {resumed.FirstProgress}");
        Assert.Equal(atKill.FractionDone, resumed.ResumedFrom);
        Assert.True(resumed.FirstProgress >= atKill.FractionDone,
            $"The restarted agent's first progress {resumed.FirstProgress} is below its checkpoint's {atKill.FractionDone}: it started over.");
        // The agent's log reaches the test through a pipe, a moment after the status file that told of the resume.
        await Eventually.UntilAsync(
            "the restarted agent to log the unit's resume",
            () => worker.LinesOf(1).Any(line => line.Contains($"Unit resumed job={job.Id} unit=0 replica=0", StringComparison.Ordinal)),
            () => worker.Tail(), TimeSpan.FromSeconds(30));

        var finished = await cluster.WaitForJobAsync(cluster.Coordinator, job.Id, UnitTimeout);
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        var (_, _, result) = await cluster.Coordinator.GetResultAsync(job.Id);
        Assert.Equal(PrimesBelowTwentyBillion, result.GetProperty("primeCount").GetInt64());
    }

    [Fact]
    public async Task An_agent_stopped_by_SIGTERM_mid_unit_checkpoints_as_it_stops_exits_within_5_s_and_resumes_from_there()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var worker = cluster.Workers[0];
        // The default interval (a minute) is longer than the unit runs here before the stop: any checkpoint is the stop's.
        worker.Settings["Worker__StatusInterval"] = "00:00:00.200";
        var job = await cluster.SubmitAsync(cluster.Coordinator, OneUnitPrimesJob(to: 10_000_000_000));

        worker.Start();
        var seen = await Eventually.WaitAsync(
            "the unit to report some progress",
            () => Task.FromResult(RunningUnit(worker, job.Id) is { FractionDone: >= 0.02 } unit ? unit : null),
            () => cluster.Diagnostics(), UnitTimeout);
        Assert.Null(LastCheckpoint(worker, job.Id));

        var stopwatch = Stopwatch.StartNew();
        PosixSignals.Terminate(worker.ProcessId);
        await Eventually.UntilAsync($"{worker.Name} to exit after SIGTERM", () => !worker.IsRunning, () => worker.Tail(), TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(20));
        var exitedAfter = stopwatch.Elapsed;
        cluster.Log($"{worker.Name} exited {exitedAfter.TotalSeconds:0.00} s after SIGTERM, last progress seen {seen.FractionDone:0.####}");
        Assert.True(exitedAfter <= TimeSpan.FromSeconds(5), $"{worker.Name} took {exitedAfter.TotalSeconds:0.0} s to exit after SIGTERM.\n{worker.Tail()}");

        var atStop = LastCheckpoint(worker, job.Id);
        Assert.True(atStop is not null, $"No checkpoint was saved as the unit stopped.\n{worker.Tail()}");
        Assert.True(atStop.FractionDone >= seen.FractionDone && atStop.FractionDone < 1,
            $"The checkpoint at the stop stands for {atStop.FractionDone}, less than the {seen.FractionDone} seen before it.");
        Assert.Contains(worker.StateFiles().Leased, key => key.StartsWith($"{job.Id:N}-0-0", StringComparison.Ordinal));

        var restartedAt = DateTimeOffset.UtcNow;
        worker.Start();
        var resumed = await RunningUnitAsync(cluster, worker, job.Id, restartedAt);
        cluster.Log($"checkpoint at the stop: {atStop.FractionDone:0.####}; restarted: resumed from {resumed.ResumedFrom}, first progress {resumed.FirstProgress}");
        Assert.Equal(atStop.FractionDone, resumed.ResumedFrom);
        Assert.True(resumed.FirstProgress >= atStop.FractionDone, $"First progress {resumed.FirstProgress} below the checkpoint's {atStop.FractionDone}.");

        var finished = await cluster.WaitForJobAsync(cluster.Coordinator, job.Id, UnitTimeout);
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");
        var (_, _, result) = await cluster.Coordinator.GetResultAsync(job.Id);
        Assert.Equal(PrimesBelowTenBillion, result.GetProperty("primeCount").GetInt64());
    }

    /// <summary>
    /// The folder of the agent's state for the project it is attached to: inbox, checkpoints and status.json. The one
    /// place these tests know the layout (worker/Volunteer.Worker/Storage/ProjectFolders.cs).
    /// </summary>
    private static string ProjectState(WorkerProcess worker) => worker.ProjectDirectory;

    /// <summary>A primes job over [0, to) in one unit, computed by one agent (quorum 1), with a lease long enough for it.</summary>
    private static object OneUnitPrimesJob(long to) => new
    {
        app = "primes",
        parameters = new { from = 0, to, unitSize = to },
        redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 0, maxTotalResults = 1 },
        deadlineSeconds = 3600,
    };

    /// <summary>
    /// The checkpoint of the job's unit 0 (replica 0) as the agent wrote it (worker/Volunteer.Worker/Storage/SavedCheckpoint.cs:
    /// "VCK1", the fraction, Unix milliseconds, a SHA-256 of those and the state, the state); null when there is none.
    /// The file is replaced by an atomic rename, so a read sees one whole version; the hash is checked as the agent checks it.
    /// </summary>
    private static CheckpointOnDisk? LastCheckpoint(WorkerProcess worker, Guid jobId)
    {
        var path = Path.Combine(ProjectState(worker), "checkpoints", $"{jobId:N}-0-0.bin");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        Assert.True(bytes.Length >= 52 && bytes.AsSpan(0, 4).SequenceEqual("VCK1"u8), $"{path} is not a checkpoint file.");
        var hashed = new byte[16 + bytes.Length - 52];
        bytes.AsSpan(4, 16).CopyTo(hashed);
        bytes.AsSpan(52).CopyTo(hashed.AsSpan(16));
        Assert.True(SHA256.HashData(hashed).AsSpan().SequenceEqual(bytes.AsSpan(20, 32)), $"{path} does not match its hash.");
        return new CheckpointOnDisk(
            BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(4)),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12))));
    }

    /// <summary>
    /// The job's unit as the current agent shows it in its status file once it has reported progress: a status written
    /// after <paramref name="since"/>, so none left by the previous process.
    /// </summary>
    private static Task<UnitInStatus> RunningUnitAsync(ProcessCluster cluster, WorkerProcess worker, Guid jobId, DateTimeOffset since) =>
        Eventually.WaitAsync(
            $"{worker.Name} to show the unit running again with its first progress",
            () => Task.FromResult(RunningUnit(worker, jobId, since) is { FirstProgress: not null } unit ? unit : null),
            () => cluster.Diagnostics(), UnitTimeout);

    /// <summary>The job's unit in the agent's status file (worker/Volunteer.Worker/Storage/WorkerStatus.cs), if it shows it.</summary>
    private static UnitInStatus? RunningUnit(WorkerProcess worker, Guid jobId, DateTimeOffset? since = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path.Combine(ProjectState(worker), "status.json"));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        using var status = JsonDocument.Parse(bytes);
        if (since is { } after && status.RootElement.GetProperty("WrittenAt").GetDateTimeOffset() <= after)
        {
            return null;
        }
        foreach (var unit in status.RootElement.GetProperty("Running").EnumerateArray())
        {
            if (unit.GetProperty("JobId").GetGuid() == jobId)
            {
                return new UnitInStatus(unit.GetProperty("FractionDone").GetDouble(), Number(unit, "ResumedFrom"), Number(unit, "FirstProgress"));
            }
        }
        return null;
    }

    private static double? Number(JsonElement unit, string name) =>
        unit.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private sealed record CheckpointOnDisk(double FractionDone, DateTimeOffset WrittenAt);

    private sealed record UnitInStatus(double FractionDone, double? ResumedFrom, double? FirstProgress);
}

using System.Globalization;
using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// The owner's limits on a real agent process computing for a real coordinator: the CPU throttle holds, and a compute
/// window closed now keeps every unit from computing while the agent goes on syncing.
/// </summary>
public sealed class LimitsTests(ITestOutputHelper output)
{
    /// <summary>Linux reports thread CPU time in /proc in USER_HZ ticks, 100 a second on every architecture.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The .NET runtime's tiered compilation thread, as /proc shows its name (cut to 15 characters).</summary>
    private const string TieredCompiler = ".NET Tiered Com";

    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A primes unit of 5·10^10 numbers near 10^12: minutes of sieving for one thread at full speed, so it is still
    /// computing when the measurement ends.
    /// </summary>
    private static readonly object LongPrimesUnit = new
    {
        app = "primes",
        parameters = new { from = 1_000_000_000_000, to = 1_050_000_000_000, unitSize = 50_000_000_000 },
        redundancy = new { targetResults = 1, minQuorum = 1 },
    };

    /// <summary>Ten units that take a fraction of a second each: an agent that computed them would report within the observation.</summary>
    private static readonly object ShortPrimesUnits = new
    {
        app = "primes",
        parameters = new { from = 0, to = 10_000_000, unitSize = 1_000_000 },
        redundancy = new { targetResults = 1, minQuorum = 1 },
    };

    [Fact]
    public async Task A_throttle_of_50_percent_holds_the_computing_threads_to_at_most_65_percent_of_the_wall_time()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var worker = cluster.Workers[0];
        worker.Settings["Worker__CpuPercent"] = "50";
        worker.Settings["Worker__StatusInterval"] = "00:00:00.200";
        var submitted = await cluster.SubmitAsync(cluster.Coordinator, LongPrimesUnit);

        worker.Start();
        // The unit has passed its gate once (its first progress report) and is under the throttle from then on.
        var started = await Eventually.WaitAsync(
            "the unit to report progress", () => Task.FromResult(Status(worker) is { Running: [{ FractionDone: > 0 } unit] } ? unit : null),
            () => cluster.Diagnostics(), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        var before = ThreadCpu(worker.ProcessId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(Measured);
        var after = ThreadCpu(worker.ProcessId);
        var wall = clock.Elapsed;
        var status = Status(worker);

        // Every thread of the agent counts, not only the unit's (whichever threads its computation hops over), but the
        // runtime's compiler, which compiles the agent's hot code again, optimised, in its first seconds: this is an
        // upper bound on what the computing threads used.
        var used = after.Select(t => (Thread: t.Key, Seconds: (t.Value.Ticks - before.GetValueOrDefault(t.Key).Ticks) / TicksPerSecond, t.Value.Name))
            .OrderByDescending(t => t.Seconds).ToList();
        var computing = used.Where(t => t.Name != TieredCompiler).Sum(t => t.Seconds);
        var unitsRunning = status?.Running.Count ?? 0;
        cluster.Log($"over {wall.TotalSeconds:0.00} s the agent's threads used {used.Sum(t => t.Seconds):0.00} s of CPU, {computing:0.00} s " +
            $"without the compiler's, with {unitsRunning} unit(s) running (progress {started.FractionDone:0.0000} -> " +
            $"{status?.Running.SingleOrDefault()?.FractionDone:0.0000}); busiest: " +
            string.Join(", ", used.Take(4).Select(t => $"{t.Thread} '{t.Name}' {t.Seconds:0.00} s")));

        Assert.Equal(1, unitsRunning);
        Assert.Equal(started.JobId, submitted.Id);
        // The unit computed meanwhile, so the bound is about a unit at work, not a stalled one.
        Assert.True(status!.Running[0].FractionDone > started.FractionDone, $"The unit did not progress.\n{cluster.Diagnostics()}");
        Assert.True(computing <= 0.65 * wall.TotalSeconds * unitsRunning,
            $"The agent's threads used {computing:0.00} s of CPU in {wall.TotalSeconds:0.00} s with one unit at a 50% throttle.\n{cluster.Diagnostics()}");
    }

    [Fact]
    public async Task A_compute_window_closed_now_means_no_unit_computes_while_the_agent_syncs()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 1);
        var worker = cluster.Workers[0];
        // The agent runs in this process's time zone: a one-hour window two hours from now is closed now.
        var now = DateTime.Now;
        var (opens, closes) = (now.AddHours(2), now.AddHours(3));
        var window = string.Create(CultureInfo.InvariantCulture, $"{opens:HH:mm}-{closes:HH:mm}");
        worker.Settings["Worker__ComputeWindows"] = window;
        worker.Settings["Worker__StatusInterval"] = "00:00:00.200";
        var submitted = await cluster.SubmitAsync(cluster.Coordinator, ShortPrimesUnits);

        worker.Start();
        var firstSync = await Eventually.WaitAsync(
            "the agent to sync", () => Task.FromResult(Status(worker)?.LastSync),
            () => cluster.Diagnostics(), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        await Task.Delay(TimeSpan.FromSeconds(8));

        var status = Status(worker)!;
        var job = await cluster.Coordinator.GetJobAsync(submitted.Id);
        var replicas = VolunteerDatabase.Replicas(cluster.Coordinator.DatabasePath, submitted.Id);
        cluster.Log($"window {window}: {job}; {replicas.Count} replica(s) issued; agent holds {status.Running.Count} unit(s) at " +
            $"[{string.Join(", ", status.Running.Select(u => u.FractionDone))}], last sync {status.LastSync}");

        // The agent kept syncing all along.
        Assert.True(status.LastSync!.At > firstSync.At, $"The agent stopped syncing after {firstSync}.\n{cluster.Diagnostics()}");
        // No unit moved: none reported progress, none saved a checkpoint, none was reported.
        Assert.All(status.Running, unit => Assert.Equal(0, unit.FractionDone));
        Assert.Empty(Directory.Exists(Path.Combine(worker.ProjectDirectory, "checkpoints")) ? Directory.GetFiles(Path.Combine(worker.ProjectDirectory, "checkpoints")) : []);
        Assert.Equal(0, status.PendingReports);
        Assert.Empty(worker.Acknowledged);
        Assert.All(replicas, r => Assert.Null(r.Outcome));
        Assert.Equal((0, 0, 0), (job.Valid, job.Assimilated, job.Failed));
        // The agent says why.
        var next = (opens.Date == DateTime.Now.Date ? "" : $"{opens.DayOfWeek.ToString()[..3]} ") + opens.ToString("HH:mm", CultureInfo.InvariantCulture);
        var reason = $"Not computing: outside the compute windows (next {next})";
        Assert.Contains(worker.Lines, line => line.Contains(reason, StringComparison.Ordinal));
    }

    /// <summary>The agent's status file (worker/Volunteer.Worker/Storage/WorkerStatus.cs); null before it is first written.</summary>
    private static AgentStatus? Status(WorkerProcess worker)
    {
        var path = Path.Combine(worker.ProjectDirectory, "status.json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<AgentStatus>(File.ReadAllBytes(path)) : null;
        }
        catch (IOException)
        {
            // Replaced as it was read; the next look finds it whole.
            return null;
        }
    }

    /// <summary>Each thread's CPU time so far (utime + stime, in ticks) and name, from /proc/PID/task/TID/stat.</summary>
    private static Dictionary<int, (long Ticks, string Name)> ThreadCpu(int processId)
    {
        var threads = new Dictionary<int, (long, string)>();
        foreach (var task in Directory.GetDirectories($"/proc/{processId}/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A thread that ended meanwhile.
                continue;
            }
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            // After the name: state is field 3, utime 14 and stime 15.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (ticks, stat[(open + 1)..close]);
        }
        return threads;
    }

    private sealed record AgentStatus(DateTimeOffset WrittenAt, IReadOnlyList<UnitStatus> Running, int PendingReports, SyncStatus? LastSync);

    private sealed record UnitStatus(Guid JobId, long UnitIndex, int Replica, double FractionDone);

    private sealed record SyncStatus(DateTimeOffset At, string Outcome);
}

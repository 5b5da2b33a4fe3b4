using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using System.Text.Json;
using Npgsql;
using Volunteer.Coordinator.Settings;
using Volunteer.Testing;

namespace Volunteer.LoadGenerator.Population;

/// <summary>
/// The population mode of the load generator (infra/bench.sh with POPULATION): what a SETI@home-sized population costs
/// the coordinator. First the price of a fresh connection (the same cheap request over fresh and kept-alive
/// connections); then the attach storm of the whole population at once (a project's launch); then steps of active
/// volunteers (10,000, 30,000, 100,000 by default), each synced for one interval to warm up and measured for
/// <see cref="BenchOptions.Measure"/>, side by side; optionally a silo killed (SIGKILL) during the last step, with
/// what the volunteers saw second by second. CPU is reported for the coordinator, PostgreSQL and the generator itself,
/// since all three share this machine's cores.
/// </summary>
public sealed class PopulationRun(BenchOptions options, JobClient jobs, Dictionary<string, object> figures)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly PopulationFigures _seen = new();

    public async Task<int> RunAsync()
    {
        var endpoints = options.Coordinators.Select(u => new IPEndPoint(IPAddress.Parse(u.Host), u.Port)).ToList();
        var sizes = options.Population.Distinct().Order().ToList();
        var total = sizes[^1];
        // A host may hold InProgressPerCore replicas per core it reports: each volunteer claims the cores that let it hold what it asks for.
        var cores = Math.Max(1, (options.UnitsPerSync + new VolunteerOptions().InProgressPerCore - 1) / new VolunteerOptions().InProgressPerCore);
        var settings = new PopulationSettings(endpoints, options.UnitsPerSync, cores, options.SyncInterval, options.UnitTime,
            RequestTimeout: TimeSpan.FromSeconds(30), FirstRetry: TimeSpan.FromSeconds(2), _seen, new SemaphoreSlim(MaxConnections), options.FirstSyncsOver);
        var volunteers = Enumerable.Range(0, total).Select(n => new PopulationVolunteer(n, LoopbackSources.OfPopulation(n), settings)).ToList();
        figures["mode"] = "population";
        figures["volunteers"] = total;
        figures["syncIntervalSeconds"] = options.SyncInterval.TotalSeconds;
        figures["firstSyncsOverSeconds"] = options.FirstSyncsOver.TotalSeconds;
        figures["unitsQueuedPerVolunteer"] = options.UnitsPerSync;
        figures["unitSeconds"] = options.UnitTime.TotalSeconds;
        figures["measureSeconds"] = options.Measure.TotalSeconds;
        figures["coordinators"] = endpoints.Count;

        figures["connection"] = await ConnectionCostAsync(endpoints[0]);
        figures["attach"] = await AttachStormAsync(volunteers);

        var (jobId, acceptedIn) = await jobs.SubmitAsync(options.Units, options.Adaptive);
        Console.WriteLine($"job {jobId} of {options.Units} units accepted in {acceptedIn.TotalMilliseconds:0.0} ms");
        figures["jobUnits"] = options.Units;

        var syncs = new SyncLoop(settings.RequestTimeout, MaxConnections);
        var running = 0;
        var steps = new List<Dictionary<string, object>>();
        var previousRss = Convert.ToDouble(((Dictionary<string, object>)figures["attach"])["coordinatorRssMiBAfter"], Invariant);
        var previousActive = 0;
        long assimilated = 0;
        foreach (var size in sizes)
        {
            for (; running < size; running++)
            {
                syncs.Start(volunteers[running], volunteers[running].FirstSyncDue());
            }
            // Warm-up: the herd of first syncs (each activates its host's grain, and some are shed and come back later),
            // then one more interval, so the measured stretch is the steady state of a population that has synced before.
            Console.WriteLine($"{size} volunteers active: warm-up until every one has synced, then one interval ({options.SyncInterval.TotalSeconds:0} s) and 10 s for the generator to stop collecting, then {options.Measure.TotalSeconds:0} s measured");
            var herd = Stopwatch.StartNew();
            while (_seen.ServedOnce < size && herd.Elapsed < TimeSpan.FromMinutes(15))
            {
                await WatchAsync(jobId, TimeSpan.FromSeconds(5), null);
            }
            var herdSeconds = herd.Elapsed.TotalSeconds;
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            await WatchAsync(jobId, options.SyncInterval, null);
            var allocationRate = (GC.GetTotalAllocatedBytes() - allocatedBefore) / options.SyncInterval.TotalSeconds;
            var collectionsBefore = GC.CollectionCount(0);
            var generatorPaused = PauseCollections(allocationRate * (options.Measure.TotalSeconds + 40) * 1.5);
            // The full collection that starts the region stops every volunteer at once, and they come back as a burst:
            // it settles before the window opens.
            await WatchAsync(jobId, TimeSpan.FromSeconds(10), null);
            _seen.NextWindow();
            var before = Meter();
            var rowsBefore = options.StoreDatabase is null ? 0 : await DatabaseRows.WrittenAsync(options.StoreDatabase);
            var assimilatedBefore = (await jobs.StateAsync(jobId))?.Assimilated ?? assimilated;
            if (size == total && options.Output is not null)
            {
                // A mark for infra/bench.sh's profiler: the largest population is being measured from now on.
                await File.WriteAllTextAsync(options.Output + ".measuring-last", size.ToString(Invariant));
            }
            var kill = options.KillPid is { } pid && size == total ? (Pid: pid, After: options.KillAfter) : ((int Pid, TimeSpan After)?)null;
            var measuredFrom = _seen.Second;
            var measuredFromUtc = DateTimeOffset.UtcNow;
            var killedAt = await WatchAsync(jobId, options.Measure, kill);
            var window = _seen.NextWindow();
            var generatorCollections = GC.CollectionCount(0) - collectionsBefore;
            ResumeCollections(generatorPaused);
            var measuredTo = _seen.Second;
            var slowSyncs = _seen.SlowSyncs(measuredFrom, measuredTo);
            var slowest = _seen.SlowestSeconds(measuredFrom, measuredTo, 12).ToList();
            var after = Meter();
            var rows = options.StoreDatabase is null ? 0 : await DatabaseRows.WrittenAsync(options.StoreDatabase) - rowsBefore;
            assimilated = (await jobs.StateAsync(jobId))?.Assimilated ?? assimilatedBefore;

            var seconds = window.Elapsed.TotalSeconds;
            var served = Math.Max(1, window.Served);
            var step = new Dictionary<string, object>
            {
                ["activeVolunteers"] = size,
                // From the first sync of the step's new volunteers until every active volunteer had one served.
                ["secondsUntilAllSynced"] = Math.Round(herdSeconds, 1),
                ["syncsServedPerSecond"] = Math.Round(window.Served / seconds, 1),
                ["offeredSyncsPerSecond"] = Math.Round(size / options.SyncInterval.TotalSeconds, 1),
                ["syncP50Milliseconds"] = Round(window.TotalPercentile(0.50)),
                ["syncP99Milliseconds"] = Round(window.TotalPercentile(0.99)),
                ["syncMaxMilliseconds"] = Round(window.TotalMax()),
                ["syncsOver50MillisecondsPercent"] = Math.Round(100.0 * slowSyncs / served, 2),
                // Split by what the sync carried: reports or leases (the job commits before answering) or neither.
                ["syncsCarryingPercent"] = Math.Round(100.0 * window.Carrying / served, 1),
                ["carryingSyncP50Milliseconds"] = Round(window.CarryingPercentile(0.50)),
                ["carryingSyncP99Milliseconds"] = Round(window.CarryingPercentile(0.99)),
                ["heartbeatSyncP50Milliseconds"] = Round(window.HeartbeatPercentile(0.50)),
                ["heartbeatSyncP99Milliseconds"] = Round(window.HeartbeatPercentile(0.99)),
                // second (from the run's start): slow syncs/slowest ms, for the seconds with most slow syncs.
                ["slowestSeconds"] = slowest.Count == 0 ? "none" : string.Join(" ", slowest.Select(s => $"{s.Second}:{s.Slow}/{s.MaxMilliseconds}")),
                // To lay the slow seconds beside other clocks (a server's log, vmstat): second n is this time plus n - measuredFromSecond.
                ["measuredFromSecond"] = measuredFrom,
                ["measuredFromUtc"] = measuredFromUtc.ToString("HH:mm:ss.f", Invariant),
                ["connectP50Milliseconds"] = Round(window.ConnectPercentile(0.50)),
                ["connectP99Milliseconds"] = Round(window.ConnectPercentile(0.99)),
                ["failures"] = window.Failures.IsEmpty ? "none" : string.Join(", ", window.Failures.OrderBy(f => f.Key).Select(f => $"{f.Key}: {f.Value}")),
                ["replicasLeasedPerSync"] = Math.Round((double)window.Leased / served, 2),
                ["reportsPerSync"] = Math.Round((double)window.ReportsAccepted / served, 2),
                ["replicaResultsPerSecond"] = Math.Round(window.ReportsAccepted / seconds),
                ["unitsValidatedPerSecond"] = Math.Round((assimilated - assimilatedBefore) / seconds),
                ["coordinatorCpuCores"] = Math.Round((after.Coordinator - before.Coordinator) / seconds, 2),
                ["coordinatorCpuMillisecondsPerSync"] = Math.Round(1000 * (after.Coordinator - before.Coordinator) / served, 3),
                ["postgresCpuCores"] = Math.Round((after.Postgres - before.Postgres) / seconds, 2),
                ["postgresCpuMillisecondsPerSync"] = Math.Round(1000 * (after.Postgres - before.Postgres) / served, 3),
                ["generatorCpuCores"] = Math.Round((after.Generator - before.Generator) / seconds, 2),
                ["generatorCpuMillisecondsPerSync"] = Math.Round(1000 * (after.Generator - before.Generator) / served, 3),
                // The generator's own collections while measured: none when its no-GC region held (see PauseCollections).
                ["generatorCollections"] = generatorCollections,
                ["generatorAllocatedMiBPerSecond"] = Math.Round(allocationRate / (1 << 20), 1),
                ["databaseRowsWrittenPerSync"] = Math.Round((double)rows / served, 2),
                ["coordinatorRssMiB"] = Math.Round(after.RssMiB, 1),
                // The slope from the step before (from the registered but idle population for the first step).
                ["rssKiBPerActiveVolunteer"] = Math.Round((after.RssMiB - previousRss) * 1024 / (size - previousActive), 2),
            };
            if (killedAt is { } second)
            {
                step["silo"] = Killed(second);
            }
            steps.Add(step);
            previousRss = after.RssMiB;
            previousActive = size;
            Console.WriteLine(string.Join(", ", step.Select(f => $"{f.Key} {FigureText(f.Value)}")));
        }
        syncs.Dispose();
        figures["steps"] = steps;
        if (options.StoreDatabase is not null)
        {
            await Task.Delay(DatabaseRows.SettleTime);
            var footprint = await FootprintAsync(options.StoreDatabase);
            figures["databaseRowsPerVolunteerAtEnd"] = Math.Round((double)footprint.Rows / total, 2);
            figures["databaseBytesPerVolunteerAtEnd"] = Math.Round((double)footprint.Bytes / total);
        }
        Write(steps);
        var state = (await jobs.StateAsync(jobId))?.State ?? "unknown";
        Console.WriteLine($"The job is {state} (the population mode measures a stretch of a long job, not its end).");
        return state is "Running" or "Completed" ? 0 : 1;
    }

    /// <summary>The most connections the generator holds open at once (see <see cref="SyncLoop"/>): far above a healthy run's few dozen.</summary>
    private const int MaxConnections = 8000;

    /// <summary>
    /// The same cheap request (GET /health) 4,000 times over fresh connections and 4,000 times over kept-alive ones, 16
    /// at a time: the coordinator's CPU per request in each, whose difference is what accepting and closing a connection costs it.
    /// </summary>
    private async Task<Dictionary<string, object>> ConnectionCostAsync(IPEndPoint server)
    {
        const int requests = 4000, inFlight = 16;
        var connect = new ConcurrentBag<double>();
        async Task<(double Coordinator, double Generator)> TimeAsync(Func<int, Task> request)
        {
            var before = Meter();
            using var gate = new SemaphoreSlim(inFlight);
            await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await request(i);
                }
                finally
                {
                    gate.Release();
                }
            }));
            var after = Meter();
            return (1000 * (after.Coordinator - before.Coordinator) / requests, 1000 * (after.Generator - before.Generator) / requests);
        }
        var health = new Uri($"http://{server}/health");
        using var kept = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = inFlight });
        // Both once first, so neither pays the JIT.
        await TimeAsync(async _ => (await kept.GetAsync(health)).Dispose());
        await TimeAsync(i => FreshConnection.SendAsync(server, IPAddress.Loopback, "GET", "/health", null, default, CancellationToken.None));
        var keptAlive = await TimeAsync(async _ => (await kept.GetAsync(health)).EnsureSuccessStatusCode().Dispose());
        var fresh = await TimeAsync(async i =>
        {
            var answer = await FreshConnection.SendAsync(server, IPAddress.Loopback, "GET", "/health", null, default, CancellationToken.None);
            connect.Add(answer.ConnectMilliseconds);
        });
        var sorted = connect.Order().ToArray();
        var result = new Dictionary<string, object>
        {
            ["coordinatorCpuMillisecondsPerRequestKeptAlive"] = Math.Round(keptAlive.Coordinator, 3),
            ["coordinatorCpuMillisecondsPerRequestFresh"] = Math.Round(fresh.Coordinator, 3),
            ["coordinatorCpuMillisecondsPerConnection"] = Math.Round(fresh.Coordinator - keptAlive.Coordinator, 3),
            ["generatorCpuMillisecondsPerConnection"] = Math.Round(fresh.Generator - keptAlive.Generator, 3),
            ["connectP50Milliseconds"] = Round(sorted[sorted.Length / 2]),
            ["connectP99Milliseconds"] = Round(sorted[(int)(sorted.Length * 0.99)]),
        };
        Console.WriteLine("connection set-up: " + string.Join(", ", result.Select(f => $"{f.Key} {FigureText(f.Value)}")));
        return result;
    }

    /// <summary>Every volunteer attaches at once (up to --attach-concurrency in flight), each retrying as an agent would.</summary>
    private async Task<Dictionary<string, object>> AttachStormAsync(List<PopulationVolunteer> volunteers)
    {
        var footprintBefore = options.StoreDatabase is null ? default : await FootprintAsync(options.StoreDatabase);
        var before = Meter();
        _seen.NextWindow();
        var latencies = new double[volunteers.Count];
        var clock = Stopwatch.StartNew();
        var attached = 0;
        using var gate = new SemaphoreSlim(options.AttachConcurrency);
        var progress = new Timer(_ => Console.Write($"\r  attach storm: {Volatile.Read(ref attached)}/{volunteers.Count} attached, {clock.Elapsed.TotalSeconds:0} s   "),
            null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        await Task.WhenAll(volunteers.Select(async (v, i) =>
        {
            await gate.WaitAsync();
            try
            {
                latencies[i] = (await v.AttachAsync(CancellationToken.None)).TotalMilliseconds;
                Interlocked.Increment(ref attached);
            }
            finally
            {
                gate.Release();
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        await progress.DisposeAsync();
        var window = _seen.NextWindow();
        var after = Meter();
        Console.WriteLine();
        Array.Sort(latencies);
        var result = new Dictionary<string, object>
        {
            ["volunteers"] = volunteers.Count,
            ["inFlight"] = options.AttachConcurrency,
            ["seconds"] = Math.Round(seconds, 1),
            ["attachesPerSecond"] = Math.Round(volunteers.Count / seconds),
            ["attachP50Milliseconds"] = Round(latencies[latencies.Length / 2]),
            ["attachP99Milliseconds"] = Round(latencies[(int)(latencies.Length * 0.99)]),
            ["failures"] = window.Failures.IsEmpty ? "none" : string.Join(", ", window.Failures.OrderBy(f => f.Key).Select(f => $"{f.Key}: {f.Value}")),
            ["coordinatorCpuMillisecondsPerAttach"] = Math.Round(1000 * (after.Coordinator - before.Coordinator) / volunteers.Count, 3),
            ["postgresCpuMillisecondsPerAttach"] = Math.Round(1000 * (after.Postgres - before.Postgres) / volunteers.Count, 3),
            ["generatorCpuMillisecondsPerAttach"] = Math.Round(1000 * (after.Generator - before.Generator) / volunteers.Count, 3),
            ["coordinatorRssMiBBefore"] = Math.Round(before.RssMiB, 1),
            ["coordinatorRssMiBAfter"] = Math.Round(after.RssMiB, 1),
            ["rssKiBPerRegisteredVolunteer"] = Math.Round((after.RssMiB - before.RssMiB) * 1024 / volunteers.Count, 2),
        };
        if (options.StoreDatabase is not null)
        {
            await Task.Delay(DatabaseRows.SettleTime);
            var footprint = await FootprintAsync(options.StoreDatabase);
            result["databaseRowsPerRegisteredVolunteer"] = Math.Round((double)(footprint.Rows - footprintBefore.Rows) / volunteers.Count, 2);
            result["databaseBytesPerRegisteredVolunteer"] = Math.Round((double)(footprint.Bytes - footprintBefore.Bytes) / volunteers.Count);
        }
        Console.WriteLine("attach storm: " + string.Join(", ", result.Select(f => $"{f.Key} {FigureText(f.Value)}")));
        return result;
    }

    /// <summary>
    /// Waits <paramref name="duration"/>, printing what the population sees every 5 s and polling the job (from any silo
    /// that answers); kills the given silo with SIGKILL once its time has come, and returns the second it did.
    /// </summary>
    private async Task<int?> WatchAsync(Guid jobId, TimeSpan duration, (int Pid, TimeSpan After)? kill)
    {
        var clock = Stopwatch.StartNew();
        int? killedAt = null;
        var lastSecond = _seen.Second;
        while (clock.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, (duration - clock.Elapsed).TotalSeconds))));
            if (kill is { } k && killedAt is null && clock.Elapsed >= k.After)
            {
                using var silo = Process.GetProcessById(k.Pid);
                silo.Kill(); // SIGKILL on Linux, as kill -9
                killedAt = _seen.Second;
                Console.WriteLine($"\n  silo {k.Pid} killed (SIGKILL) at second {killedAt}");
            }
            var state = await jobs.StateAsync(jobId);
            var now = _seen.Second;
            var line = _seen.Timeline(lastSecond, now).ToList();
            lastSecond = now;
            Console.Write($"\r  {clock.Elapsed.TotalSeconds:0} s: {line.Sum(s => s.Served) / Math.Max(1.0, line.Count):0} syncs/s served, " +
                          $"{line.Sum(s => s.Failed)} failed; job {state?.State ?? "unanswered"}, {state?.Assimilated} units validated   ");
        }
        Console.WriteLine();
        return killedAt;
    }

    /// <summary>What the volunteers saw around the kill: syncs served and failed each second, and how long until none failed.</summary>
    private Dictionary<string, object> Killed(int second)
    {
        var line = _seen.Timeline(second - 10, _seen.Second).ToList();
        var before = line.Where(s => s.Second < second).ToList();
        var after = line.Where(s => s.Second >= second).ToList();
        var lastFailure = after.LastOrDefault(s => s.Failed > 0);
        return new Dictionary<string, object>
        {
            ["killedAtSecond"] = second,
            ["syncsServedPerSecondBefore"] = Math.Round(before.Sum(s => s.Served) / Math.Max(1.0, before.Count), 1),
            ["syncsFailedAfter"] = after.Sum(s => s.Failed),
            ["secondsUntilLastFailure"] = lastFailure == default ? 0 : lastFailure.Second - second,
            ["servedAndFailedBySecond"] = string.Join(" ", after.Take(90).Select(s => $"{s.Served}/{s.Failed}")),
        };
    }

    /// <summary>
    /// Keeps the generator from collecting while a step is measured, if the runtime grants a no-GC region of
    /// <paramref name="bytes"/>. The simulated population lives in one process whose collections stop every volunteer
    /// at once (40-110 ms each at 100,000 volunteers, measured with dotnet-trace's gc-collect profile, several a minute),
    /// which a real population on its own machines never does: those stalls would be counted as the silo's latency. The
    /// silo's own collections are still in every figure. True when the region was granted.
    /// </summary>
    private static bool PauseCollections(double bytes)
    {
        if (bytes > MostBytesUncollected)
        {
            Console.WriteLine($"  the window would leave {bytes / (1 << 30):0.0} GiB uncollected in the generator (more than {MostBytesUncollected >> 30} GiB): it collects as usual, and its collections count in the latencies");
            return false;
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try
        {
            return GC.TryStartNoGCRegion((long)bytes);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Console.WriteLine($"  the generator could not keep from collecting while measuring ({ex.Message}); its collections count in the latencies");
            return false;
        }
    }

    /// <summary>
    /// The most garbage the generator keeps uncollected through a window: the default 90-second window at 100,000
    /// volunteers asks for about 3.5 GiB (18 MiB/s), a ten-minute one for 17 GiB, most of this 24 GiB machine, which the silo and
    /// PostgreSQL may need (that run's generator spent 0.48 ms of CPU per sync, against 0.28 in one-minute windows). Longer
    /// windows are measured with the generator collecting, and say so.
    /// </summary>
    private const long MostBytesUncollected = 4L << 30;

    private static void ResumeCollections(bool paused)
    {
        if (paused && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }
    }

    private readonly record struct Meters(double Coordinator, double Postgres, double Generator, double RssMiB);

    /// <summary>Each silo's CPU as last read: a killed silo keeps what it used before it went, not zero.</summary>
    private readonly Dictionary<int, double> _siloCpu = [];

    private Meters Meter()
    {
        using var self = Process.GetCurrentProcess();
        foreach (var pid in options.CoordinatorPids)
        {
            _siloCpu[pid] = Math.Max(_siloCpu.GetValueOrDefault(pid), ProcessFigures.CpuSeconds(pid));
        }
        return new Meters(
            _siloCpu.Values.Sum(),
            options.PostgresPid is { } pg ? ProcessFigures.TreeCpuSeconds(pg) : 0,
            self.TotalProcessorTime.TotalSeconds,
            options.CoordinatorPids.Count == 0 ? 0 : options.CoordinatorPids.Max(ProcessFigures.RssBytes) / 1048576.0);
    }

    /// <summary>The store's size on disk and its live rows (as PostgreSQL's statistics count them, a second or so behind).</summary>
    private static async Task<(long Bytes, long Rows)> FootprintAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT pg_database_size(current_database()), (SELECT coalesce(sum(n_live_tup), 0)::bigint FROM pg_stat_user_tables)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private void Write(List<Dictionary<string, object>> steps)
    {
        var markdown = new System.Text.StringBuilder();
        markdown.AppendLine("| figure | " + string.Join(" | ", steps.Select(s => $"{s["activeVolunteers"]} active")) + " |");
        markdown.AppendLine("|---|" + string.Concat(steps.Select(_ => "---|")));
        foreach (var name in steps[0].Keys.Where(k => k != "activeVolunteers" && k != "silo"))
        {
            markdown.AppendLine($"| {name} | " + string.Join(" | ", steps.Select(s => FigureText(s[name]))) + " |");
        }
        foreach (var (section, values) in new[] { ("connection", figures["connection"]), ("attach", figures["attach"]) }
                     .Concat(steps.Where(s => s.ContainsKey("silo")).Select(s => ("silo killed", s["silo"]))))
        {
            markdown.AppendLine().AppendLine($"| {section} | |").AppendLine("|---|---|");
            foreach (var (name, value) in (Dictionary<string, object>)values)
            {
                markdown.AppendLine($"| {name} | {FigureText(value)} |");
            }
        }
        markdown.AppendLine().AppendLine("| run | |").AppendLine("|---|---|");
        foreach (var (name, value) in figures.Where(f => f.Value is not Dictionary<string, object> and not List<Dictionary<string, object>>))
        {
            markdown.AppendLine($"| {name} | {FigureText(value)} |");
        }
        Console.WriteLine(markdown);
        if (options.Output is not null)
        {
            File.WriteAllText(options.Output + ".json", JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
            File.WriteAllText(options.Output + ".md", markdown.ToString());
        }
    }

    private static object Round(double value) => double.IsNaN(value) ? "none" : Math.Round(value, 2);

    private static string FigureText(object value) => Convert.ToString(value, Invariant) ?? "";
}

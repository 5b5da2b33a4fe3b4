using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Volunteer.Coordinator.Settings;
using Volunteer.LoadGenerator;
using Volunteer.LoadGenerator.Population;
using Volunteer.Testing;

// Load generator: N simulated volunteers over the real HTTP worker API against a running coordinator,
// and (with --database) the raw PostgreSQL baseline for the same rows. Run through infra/bench.sh.
var options = BenchOptions.Parse(args);
var figures = new Dictionary<string, object>();
if (options.JobGrainCeiling)
{
    return await JobGrainCeiling.RunAsync(options, figures);
}
if (options.Coordinators.Count == 0)
{
    throw new ArgumentException("--coordinator URL[,URL...] is required");
}
var invariant = CultureInfo.InvariantCulture;

if (options.Database is not null)
{
    var baseline = await PostgresBaseline.RunAsync(options.Database, options.BaselineUnits);
    figures["baselineUnits"] = options.BaselineUnits;
    figures["baselineSeconds"] = Math.Round(baseline.TotalSeconds, 3);
    figures["baselineReplicaResultsPerSecond"] = Math.Round(2 * options.BaselineUnits / baseline.TotalSeconds);
    await Task.Delay(DatabaseRows.SettleTime);
    var baselineRows = await DatabaseRows.WrittenAsync(options.Database);
    figures["baselineRowsWrittenPerUnit"] = Math.Round((double)baselineRows / options.BaselineUnits, 2);
    figures["baselineRowsPerSecond"] = Math.Round(baselineRows / baseline.TotalSeconds);
    Console.WriteLine($"baseline: {options.BaselineUnits} units' rows written directly in {baseline.TotalSeconds:0.00} s");
}

// The job API's client; each volunteer has a client of its own (SimulatedVolunteer).
using var jobs = new JobClient(options.Coordinators, options.ApiKey);
if (options.Population.Count > 0)
{
    return await new PopulationRun(options, jobs, figures).RunAsync();
}
var volunteers = Enumerable.Range(0, options.Workers)
    .Select(i => new SimulatedVolunteer(options.Coordinators[i % options.Coordinators.Count], LoopbackSources.Next()))
    .ToList();
// A host may hold InProgressPerCore replicas per core it reports, up to MaxInProgressPerHost (the coordinator's
// defaults, which bench.sh keeps): each volunteer reports the cores that let it hold the batch it asks for.
var coordinatorDefaults = new VolunteerOptions();
var cores = (options.UnitsPerSync + coordinatorDefaults.InProgressPerCore - 1) / coordinatorDefaults.InProgressPerCore;
if (Math.Min(coordinatorDefaults.MaxInProgressPerHost, coordinatorDefaults.InProgressPerCore * cores) < options.UnitsPerSync)
{
    throw new ArgumentException($"--units-per-sync {options.UnitsPerSync} is more than a host may hold ({coordinatorDefaults.MaxInProgressPerHost}).");
}
using (var gate = new SemaphoreSlim(32))
{
    await Task.WhenAll(volunteers.Select(async (v, i) =>
    {
        await gate.WaitAsync();
        try
        {
            await v.AttachAsync($"load-{i}", cores, CancellationToken.None);
        }
        finally
        {
            gate.Release();
        }
    }));
}
Console.WriteLine($"{options.Workers} simulated volunteers attached, each with an account and a /24 of its own, claiming {cores} cores");

if (options.WarmUpUnits > 0)
{
    // A warm-up job first, as a coordinator that has been serving for a while would be: the JIT's tiered
    // recompilation of the hot path took about a third of the coordinator's CPU in the first minute (perf).
    var warmUp = Stopwatch.StartNew();
    var (warmUpJob, _) = await jobs.SubmitAsync(options.WarmUpUnits, options.Adaptive);
    await DriveAsync(warmUpJob, new LoadFigures(TimeSpan.Zero), (_, _, _) => { });
    Console.WriteLine($"warm-up job of {options.WarmUpUnits} units done in {warmUp.Elapsed.TotalSeconds:0.0} s");
    figures["warmUpUnits"] = options.WarmUpUnits;
    if (options.StoreDatabase is not null)
    {
        await Task.Delay(DatabaseRows.SettleTime); // so the warm-up's rows are not counted as the job's
    }
}

figures["units"] = options.Units;
figures["workers"] = options.Workers;
figures["coordinators"] = options.Coordinators.Count;
figures["computeMillisecondsPerBatch"] = options.ComputeTime.TotalMilliseconds;
figures["latencyWarmUpSeconds"] = options.WarmUp.TotalSeconds;
figures["adaptiveReplication"] = options.Adaptive;
var runs = new List<Dictionary<string, object>>();
for (var i = 1; i <= options.Runs; i++)
{
    if (options.Runs > 1)
    {
        Console.WriteLine($"run {i} of {options.Runs}");
    }
    runs.Add(await MeasureAsync());
}
if (runs.Count == 1)
{
    foreach (var (name, value) in runs[0])
    {
        figures[name] = value;
    }
}
else
{
    // Runs on a shared machine vary (by ±30% here): report each figure's median, and every run's rate.
    figures["runs"] = runs.Count;
    figures["replicaResultsPerSecondByRun"] = string.Join(", ", runs.Select(r => Convert.ToString(r["replicaResultsPerSecond"], invariant)));
    figures["syncP99MillisecondsByRun"] = string.Join(", ", runs.Select(r => Convert.ToString(r["syncP99Milliseconds"], invariant)));
    foreach (var name in runs[0].Keys)
    {
        figures[name + (runs[0][name] is double or long or int ? "Median" : "")] = runs[0][name] is double or long or int
            ? Math.Round(Median(runs.Select(r => Convert.ToDouble(r[name], invariant))), 3)
            : string.Join(", ", runs.Select(r => FigureText(r[name])));
    }
}

var json = JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true });
var markdown = "| figure | value |\n|---|---|\n" + string.Join("\n", figures.Select(f => $"| {f.Key} | {FigureText(f.Value)} |"));
Console.WriteLine(markdown);
if (options.Output is not null)
{
    await File.WriteAllTextAsync(options.Output + ".json", json);
    await File.WriteAllTextAsync(options.Output + ".md", markdown + "\n");
}
// A job still running when the timeout stopped the load was measured for that long, as the scale mode asks;
// one that ended any other way than Completed is a failure of the platform.
if (runs.Any(r => r["jobState"] is "Running"))
{
    Console.WriteLine($"The load stopped at the {options.Timeout.TotalSeconds:0} s timeout with the job still running.");
}
volunteers.ForEach(v => v.Dispose());
return runs.All(r => r["jobState"] is "Completed" or "Running") ? 0 : 1;

async Task<Dictionary<string, object>> MeasureAsync()
{
    var run = new Dictionary<string, object>();
    var load = new LoadFigures(options.WarmUp);
    var (jobId, acceptedIn) = await jobs.SubmitAsync(options.Units, options.Adaptive);
    run["jobAcceptedMilliseconds"] = Math.Round(acceptedIn.TotalMilliseconds, 1);
    Console.WriteLine($"job {jobId} of {options.Units} units accepted in {acceptedIn.TotalMilliseconds:0.0} ms");

    var cpuBefore = options.CoordinatorPids.Sum(ProcessFigures.CpuSeconds);
    var rowsBefore = options.StoreDatabase is null ? 0 : await DatabaseRows.WrittenAsync(options.StoreDatabase);
    load.Begin();
    long peakRss = 0;
    var (state, assimilated, elapsed) = await DriveAsync(jobId, load, (state, assimilated, elapsed) =>
    {
        peakRss = Math.Max(peakRss, options.CoordinatorPids.Max(p => (long?)ProcessFigures.RssBytes(p)) ?? 0);
        Console.Write($"\r  {state} {assimilated}/{options.Units} units, {load.ReportsAccepted} reports acknowledged, {elapsed.TotalSeconds:0} s   ");
    });
    Console.WriteLine();

    run["jobState"] = state;
    run["seconds"] = Math.Round(elapsed.TotalSeconds, 3);
    run["replicaResultsAcknowledged"] = load.ReportsAccepted;
    run["replicaResultsPerSecond"] = Math.Round(load.ReportsAccepted / elapsed.TotalSeconds);
    run["unitsValidatedPerSecond"] = Math.Round(assimilated / elapsed.TotalSeconds);
    // What checking costs: 2.0 when every unit is computed twice; near 1 plus the spot checks under adaptive replication.
    run["replicaResultsPerValidatedUnit"] = assimilated == 0 ? 0 : Math.Round((double)load.ReportsAccepted / assimilated, 3);
    run["syncs"] = load.Syncs;
    run["syncsMeasuredAfterWarmUp"] = load.SyncsMeasured;
    run["syncP50Milliseconds"] = Latency(load, 0.50);
    run["syncP95Milliseconds"] = Latency(load, 0.95);
    run["syncP99Milliseconds"] = Latency(load, 0.99);
    run["syncFailures"] = load.Failures;
    if (options.CoordinatorPids.Count > 0)
    {
        // CPU summed over the silos; memory is the largest single silo's peak.
        run["coordinatorCpuSeconds"] = Math.Round(options.CoordinatorPids.Sum(ProcessFigures.CpuSeconds) - cpuBefore, 2);
        run["coordinatorPeakRssMiB"] = Math.Round(Math.Max(peakRss, options.CoordinatorPids.Max(p => ProcessFigures.PeakRssBytes(p))) / 1048576.0, 1);
    }
    if (options.StoreDatabase is not null)
    {
        await Task.Delay(DatabaseRows.SettleTime);
        var rows = await DatabaseRows.WrittenAsync(options.StoreDatabase) - rowsBefore;
        run["databaseRowsWritten"] = rows;
        run["databaseRowsWrittenPerUnitValidated"] = assimilated == 0 ? 0 : Math.Round((double)rows / assimilated, 2);
        run["databaseRowsPerSecond"] = Math.Round(rows / elapsed.TotalSeconds);
    }
    if (figures.TryGetValue("baselineReplicaResultsPerSecond", out var ceiling))
    {
        run["ratioToBaseline"] = Math.Round(load.ReportsAccepted / elapsed.TotalSeconds / Convert.ToDouble(ceiling, invariant), 3);
        if (run.TryGetValue("databaseRowsPerSecond", out var ours))
        {
            // The same comparison by rows, which is fair whatever group commit folds together.
            run["rowRateRatioToBaseline"] = Math.Round(Convert.ToDouble(ours, invariant) / Convert.ToDouble(figures["baselineRowsPerSecond"], invariant), 3);
        }
    }

    return run;
}

// Every volunteer works on the job until it ends (or the timeout), the job's state polled twice a second.
async Task<(string State, long Assimilated, TimeSpan Elapsed)> DriveAsync(Guid jobId, LoadFigures load, Action<string, long, TimeSpan> onPoll)
{
    using var stop = new CancellationTokenSource();
    var clock = Stopwatch.StartNew();
    var running = volunteers.Select(v => Task.Run(() => v.RunAsync(options.UnitsPerSync, options.ComputeTime, load, stop.Token))).ToList();
    var state = "Running";
    long assimilated = 0;
    do
    {
        await Task.Delay(500);
        // A poll no silo answered (one killed mid-run, say) keeps the last state seen and polls again.
        (state, assimilated) = await jobs.StateAsync(jobId) ?? (state, assimilated);
        onPoll(state, assimilated, clock.Elapsed);
    }
    while (state == "Running" && clock.Elapsed < options.Timeout);
    var elapsed = clock.Elapsed;
    await stop.CancelAsync();
    await Task.WhenAll(running);
    return (state, assimilated, elapsed);
}

// A run shorter than the latency warm-up has no measured syncs, and JSON has no NaN.
static object Latency(LoadFigures load, double fraction) =>
    load.SyncsMeasured == 0 ? "none measured" : Math.Round(load.Percentile(fraction), 2);

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static string FigureText(object value) => value is IReadOnlyDictionary<string, int> counts
    ? counts.Count == 0 ? "none" : string.Join(", ", counts.Select(e => $"{e.Key}: {e.Value}"))
    : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

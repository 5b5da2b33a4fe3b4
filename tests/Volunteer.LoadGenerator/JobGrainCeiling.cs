using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Apps;
using Volunteer.Apps.Checksum;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Hosting;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.LoadGenerator;

/// <summary>
/// The ceiling of one job's grain alone (infra/bench.sh with JOB_GRAIN_CEILING=1): a coordinator silo in this process on
/// the bench's PostgreSQL, one checksum job, and H hosts (real workers and accounts in the store) calling the job's grain
/// directly, as their host grains do, each reporting the replicas its last call leased and asking for more, with no
/// pause. No HTTP, no authentication, no host grains: what is left is the job grain's turns (judging, applying,
/// leasing, placement) and its batched commits, which bound what one job can take however many silos serve the API.
/// Prints syncs and reports per second, for every unit computed twice (hosts not trusted) and under adaptive
/// replication (trusted hosts), at a few units per call.
/// </summary>
public static class JobGrainCeiling
{
    public static async Task<int> RunAsync(BenchOptions options, Dictionary<string, object> figures)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Volunteer"] = options.StoreDatabase ?? throw new ArgumentException("--store-database is required"),
            ["Volunteer:ApiKey"] = options.ApiKey,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Orleans:SiloPort"] = "11191",
            ["Orleans:GatewayPort"] = "30091",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddCoordinator();
        await using var app = builder.Build();
        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var store = app.Services.GetRequiredService<IWorkStore>();

        // A heartbeat (the common sync of a population whose units take longer than a sync interval: nothing finished,
        // nothing wanted, the replicas held listed), then calls that report and lease 2 units, with every unit computed
        // twice and with trusted hosts under adaptive replication.
        var rows = new List<Dictionary<string, object>>
        {
            await MeasureAsync(grains, store, options, unitsPerCall: 2, trusted: false, heartbeat: true),
            await MeasureAsync(grains, store, options, unitsPerCall: 2, trusted: false, heartbeat: false),
            await MeasureAsync(grains, store, options, unitsPerCall: 2, trusted: true, heartbeat: false),
        };
        figures["mode"] = "job grain ceiling";
        figures["hosts"] = options.Workers;
        figures["measureSeconds"] = options.Measure.TotalSeconds;
        var markdown = "| call | hosts trusted | calls/s | reports/s | units validated/s | process CPU ms per call | PostgreSQL CPU ms per call |\n|---|---|---|---|---|---|---|\n"
            + string.Join("\n", rows.Select(r => $"| {r["call"]} | {r["trusted"]} | {r["callsPerSecond"]} | {r["reportsPerSecond"]} | {r["unitsValidatedPerSecond"]} | {r["processCpuMillisecondsPerCall"]} | {r["postgresCpuMillisecondsPerCall"]} |"));
        figures["rows"] = rows;
        Console.WriteLine(markdown);
        if (options.Output is not null)
        {
            await File.WriteAllTextAsync(options.Output + ".json", JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
            await File.WriteAllTextAsync(options.Output + ".md", markdown + "\n");
        }
        await app.StopAsync();
        return 0;
    }

    private static async Task<Dictionary<string, object>> MeasureAsync(
        IGrainFactory grains, IWorkStore store, BenchOptions options, int unitsPerCall, bool trusted, bool heartbeat)
    {
        var (hostCount, measure) = (options.Workers, options.Measure);
        double PostgresCpu() => options.PostgresPid is { } pg ? ProcessFigures.TreeCpuSeconds(pg) : double.NaN;
        // Hosts of accounts and networks of their own, in the store as attaches leave them (ledger lines name them).
        var now = DateTimeOffset.UtcNow;
        var batch = new WorkBatch();
        var hosts = new List<VolunteerHost>(hostCount);
        for (var i = 0; i < hostCount; i++)
        {
            var (account, _) = AccountKeys.Create($"ceiling-{i}", null, AccountOrigin.Anonymous, now);
            var worker = new WorkerRecord(Guid.NewGuid(), account.Id, $"ceiling-{i}", SecretHash.Of(SecretHash.NewSecret()),
                $"ceiling-key-{Guid.NewGuid():N}", 64, now);
            batch.Accounts.Add(account);
            batch.Workers.Add(worker);
            hosts.Add(new VolunteerHost(worker.Id, account.Id, $"10.{i / 256 % 256}.{i % 256}.0/24", 64, trusted));
        }
        await store.CommitAsync(batch);

        var jobId = Guid.NewGuid();
        var parameters = JsonDocument.Parse("""{"units": 100000000, "seed": 1}""").RootElement;
        var app = ScienceAppCatalog.BuiltIn.Find(ChecksumApp.AppName)!;
        // As the job API submits one: the reducer's seed is the job result's starting value.
        await grains.GetGrain<IJobGrain>(jobId).SubmitAsync(new JobSpec(
            app.Name, parameters, new Redundancy(2, 2, 2, 4), 3600, 0, 100_000_000, app.Reducer.Seed(parameters), Adaptive: trusted));
        var job = grains.GetGrain<IJobGrain>(jobId);

        long calls = 0, reports = 0, counting = 0;
        using var stop = new CancellationTokenSource();
        var loops = hosts.Select(host => Task.Run(async () =>
        {
            IReadOnlyList<ReplicaResult> results = [];
            IReadOnlyList<ReplicaRef>? held = null;
            while (!stop.IsCancellationRequested)
            {
                // A heartbeat host leases its units once, then only says it still holds them.
                var wanted = heartbeat && held is not null ? 0 : unitsPerCall;
                var outcome = await job.SyncAsync(new JobSync(host, results, held, wanted));
                if (Volatile.Read(ref counting) == 1)
                {
                    Interlocked.Increment(ref calls);
                    Interlocked.Add(ref reports, results.Count);
                }
                if (heartbeat)
                {
                    held ??= [.. outcome.Leases.Select(l => new ReplicaRef(l.JobId, l.UnitIndex, l.Replica))];
                    continue;
                }
                var next = new List<ReplicaResult>(outcome.Leases.Count);
                foreach (var lease in outcome.Leases)
                {
                    var payload = await SimulatedHost.ComputePayloadAsync(app.Name, lease.UnitIndex, lease.Input);
                    next.Add(new ReplicaResult(new ReplicaRef(lease.JobId, lease.UnitIndex, lease.Replica), ReportOutcome.Success,
                        ContentDigest.Of(payload), payload.Length, payload, null, null));
                }
                results = outcome.Refused.Count > 0 ? [] : next;
            }
        })).ToList();

        // Warm-up, then the measured stretch.
        await Task.Delay(TimeSpan.FromSeconds(15));
        var validatedBefore = (await job.GetProgressAsync())!.Units.Assimilated;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var postgresBefore = PostgresCpu();
        var clock = Stopwatch.StartNew();
        Interlocked.Exchange(ref counting, 1);
        await Task.Delay(measure);
        Interlocked.Exchange(ref counting, 0);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpuBefore;
        var postgres = PostgresCpu() - postgresBefore;
        var validated = (await job.GetProgressAsync())!.Units.Assimilated - validatedBefore;
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        await grains.GetGrain<IJobGrain>(jobId).CancelAsync();

        var row = new Dictionary<string, object>
        {
            ["call"] = heartbeat ? "heartbeat (2 held, none wanted)" : $"reports and leases {unitsPerCall}",
            ["trusted"] = trusted,
            ["callsPerSecond"] = Math.Round(calls / seconds),
            ["reportsPerSecond"] = Math.Round(reports / seconds),
            ["unitsValidatedPerSecond"] = Math.Round(validated / seconds),
            ["processCpuMillisecondsPerCall"] = Math.Round(1000 * cpu / Math.Max(1, calls), 3),
            ["postgresCpuMillisecondsPerCall"] = double.IsNaN(postgres) ? "n/a" : Math.Round(1000 * postgres / Math.Max(1, calls), 3),
        };
        Console.WriteLine(string.Join(", ", row.Select(f => $"{f.Key} {Convert.ToString(f.Value, CultureInfo.InvariantCulture)}")));
        return row;
    }
}

using System.Globalization;

namespace Volunteer.LoadGenerator;

/// <summary>Command-line settings: --coordinator URL[,URL...] (volunteers spread over them) --api-key K [--workers N] [--units U] [--units-per-sync S]
/// [--coordinator-pid P[,P...]] [--database CS --baseline-units B] [--store-database CS] [--output PATH-PREFIX] [--timeout SECONDS]
/// [--compute-ms MS] [--warm-up SECONDS] [--warm-up-units N] [--runs N] [--adaptive true|false];
/// population mode: --population N[,N...] [--sync-interval SECONDS] [--first-syncs-over SECONDS] [--unit-seconds SECONDS] [--measure SECONDS] [--attach-concurrency N]
/// [--postgres-pid P] [--kill-pid P --kill-after SECONDS]; one job grain's ceiling alone: --job-grain-ceiling true
/// --store-database CS --api-key K [--workers HOSTS] [--measure SECONDS].</summary>
public sealed record BenchOptions(
    IReadOnlyList<Uri> Coordinators,
    string ApiKey,
    int Workers,
    long Units,
    int UnitsPerSync,
    IReadOnlyList<int> CoordinatorPids,
    string? Database,
    long BaselineUnits,
    string? Output,
    TimeSpan Timeout,
    string? StoreDatabase,
    TimeSpan ComputeTime,
    TimeSpan WarmUp,
    long WarmUpUnits,
    int Runs,
    bool Adaptive,
    IReadOnlyList<int> Population,
    TimeSpan SyncInterval,
    TimeSpan Measure,
    int AttachConcurrency,
    int? PostgresPid,
    int? KillPid,
    TimeSpan KillAfter,
    bool JobGrainCeiling,
    TimeSpan UnitTime,
    TimeSpan FirstSyncsOver)
{
    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }
        string? Get(string name) => values.GetValueOrDefault(name);
        long Number(string name, long fallback) => Get(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
        List<int> Numbers(string name) =>
            (Get(name) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
        return new BenchOptions(
            (Get("coordinator") ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.TrimEnd('/') + "/")).ToList(),
            Get("api-key") ?? throw new ArgumentException("--api-key is required"),
            (int)Number("workers", 100),
            Number("units", 20_000),
            (int)Number("units-per-sync", 8),
            Numbers("coordinator-pid"),
            Get("database"),
            Number("baseline-units", Number("units", 20_000)),
            Get("output"),
            TimeSpan.FromSeconds(Number("timeout", 600)),
            Get("store-database"),
            TimeSpan.FromMilliseconds(Number("compute-ms", 0)),
            TimeSpan.FromSeconds(Number("warm-up", 10)),
            Number("warm-up-units", 0),
            (int)Math.Max(1, Number("runs", 1)),
            bool.Parse(Get("adaptive") ?? "true"),
            Numbers("population"),
            TimeSpan.FromSeconds(Number("sync-interval", 60)),
            TimeSpan.FromSeconds(Number("measure", 90)),
            (int)Number("attach-concurrency", 256),
            Get("postgres-pid") is { } pg ? int.Parse(pg, CultureInfo.InvariantCulture) : null,
            Get("kill-pid") is { } kill ? int.Parse(kill, CultureInfo.InvariantCulture) : null,
            TimeSpan.FromSeconds(Number("kill-after", 30)),
            bool.Parse(Get("job-grain-ceiling") ?? "false"),
            TimeSpan.FromSeconds(Number("unit-seconds", 600)),
            TimeSpan.FromSeconds(Number("first-syncs-over", Number("sync-interval", 60))));
    }
}

using System.Globalization;

namespace Volunteer.LoadGenerator;

/// <summary>Command-line settings: --coordinator URL[,URL...] (volunteers spread over them) --api-key K [--workers N] [--units U] [--units-per-sync S]
/// [--coordinator-pid P[,P...]] [--database CS --baseline-units B] [--store-database CS] [--output PATH-PREFIX] [--timeout SECONDS]
/// [--compute-ms MS] [--warm-up SECONDS] [--warm-up-units N] [--runs N] [--adaptive true|false].</summary>
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
    bool Adaptive)
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
        return new BenchOptions(
            (Get("coordinator") ?? throw new ArgumentException("--coordinator URL[,URL...] is required"))
                .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.TrimEnd('/') + "/")).ToList(),
            Get("api-key") ?? throw new ArgumentException("--api-key is required"),
            (int)Number("workers", 100),
            Number("units", 20_000),
            (int)Number("units-per-sync", 8),
            (Get("coordinator-pid") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList(),
            Get("database"),
            Number("baseline-units", Number("units", 20_000)),
            Get("output"),
            TimeSpan.FromSeconds(Number("timeout", 600)),
            Get("store-database"),
            TimeSpan.FromMilliseconds(Number("compute-ms", 0)),
            TimeSpan.FromSeconds(Number("warm-up", 10)),
            Number("warm-up-units", 0),
            (int)Math.Max(1, Number("runs", 1)),
            bool.Parse(Get("adaptive") ?? "true"));
    }
}

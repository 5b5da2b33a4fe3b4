using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>One coordinator process on its embedded SQLite store and some worker processes, on loopback.</summary>
public sealed class VolunteerCluster : ProcessCluster
{
    /// <summary>The primes below 10^7 (a fact nobody here invented).</summary>
    public const long PrimesBelowTenMillion = 664_579;

    private VolunteerCluster(ITestOutputHelper output, int workerCount, IReadOnlyDictionary<string, string> coordinatorSettings)
        : base(output, "e2e", ["coordinator"], workerCount, coordinatorSettings)
    {
    }

    public CoordinatorProcess Coordinator => Silos[0];

    /// <summary>
    /// Starts the coordinator, with <paramref name="coordinatorSettings"/> (environment variables) if given, and
    /// attaches (but does not yet run) <paramref name="workerCount"/> workers.
    /// </summary>
    public static async Task<VolunteerCluster> StartAsync(ITestOutputHelper output, int workerCount, IReadOnlyDictionary<string, string>? coordinatorSettings = null)
    {
        var cluster = new VolunteerCluster(output, workerCount, coordinatorSettings ?? new Dictionary<string, string>());
        await cluster.StartProcessesAsync();
        return cluster;
    }

    /// <summary>A primes job over [0, 10^7) with quorum 2.</summary>
    public static object PrimesJob(long unitSize, int? deadlineSeconds = null) => new
    {
        app = "primes",
        parameters = new { from = 0, to = 10_000_000, unitSize },
        redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 3, maxTotalResults = 6 },
        deadlineSeconds,
    };

    protected override string DescribeStore() => JobId is { } jobId && File.Exists(Coordinator.DatabasePath)
        ? VolunteerDatabase.Describe(Coordinator.DatabasePath, jobId)
        : "--- store: no job submitted ---";
}

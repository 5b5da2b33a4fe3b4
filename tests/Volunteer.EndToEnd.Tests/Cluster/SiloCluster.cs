using System.Diagnostics;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// N coordinator silo processes over one fresh PostgreSQL database, and workers attached to every silo's
/// URL. Disposing kills every process by its id and drops the database, whatever the outcome.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly PostgresServer _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private SiloCluster(ITestOutputHelper output, PostgresServer server, string root, string connectionString,
        IReadOnlyList<CoordinatorProcess> silos, IReadOnlyList<WorkerProcess> workers)
    {
        _output = output;
        _server = server;
        Root = root;
        ConnectionString = connectionString;
        Silos = silos;
        Workers = workers;
    }

    public string Root { get; }

    public string ConnectionString { get; }

    public IReadOnlyList<CoordinatorProcess> Silos { get; }

    public IReadOnlyList<WorkerProcess> Workers { get; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts <paramref name="siloCount"/> silos (one after another) and attaches <paramref name="workerCount"/> workers.</summary>
    public static async Task<SiloCluster> StartAsync(ITestOutputHelper output, PostgresServer server, int siloCount, int workerCount)
    {
        var root = Path.Combine(Path.GetTempPath(), "volunteer-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var connectionString = await server.CreateDatabaseAsync();
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Volunteer"] = connectionString,
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__ServiceId"] = clusterId,
            ["Orleans__AdvertisedIP"] = "127.0.0.1",
            // Declare a killed silo dead in seconds rather than the production default of tens of seconds.
            ["Orleans__Membership__ProbeTimeout"] = "00:00:01",
            ["Orleans__Membership__MinProbeTimeout"] = "00:00:01",
            ["Orleans__Membership__NumMissedProbesLimit"] = "2",
            ["Orleans__Membership__NumVotesForDeathDeclaration"] = "1",
        };
        var apiKey = "cluster-" + Guid.NewGuid().ToString("N");
        var silos = Enumerable.Range(1, siloCount)
            .Select(i => new CoordinatorProcess(Path.Combine(root, $"silo{i}"), TimeSpan.FromSeconds(1), settings, apiKey, $"silo{i}"))
            .ToList();
        var workers = Enumerable.Range(1, workerCount)
            .Select(i => new WorkerProcess($"w{i}", Path.Combine(root, $"w{i}"), root))
            .ToList();
        var cluster = new SiloCluster(output, server, root, connectionString, silos, workers);
        try
        {
            foreach (var silo in silos)
            {
                await silo.StartAsync();
            }
            var urls = silos.Select(s => s.BaseAddress).ToArray();
            await Task.WhenAll(workers.Select(w => w.AttachAsync(urls)));
            cluster.Log($"{siloCount} silos up ({string.Join(", ", silos.Select(s => $"{s.Name}={s.BaseAddress} silo port {s.SiloPort}"))}); " +
                $"{workerCount} workers attached to all of them");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public void StartWorkers()
    {
        foreach (var worker in Workers)
        {
            worker.Start();
        }
    }

    public IReadOnlyList<AcknowledgedReport> AllAcknowledged() => Workers.SelectMany(w => w.Acknowledged).ToList();

    /// <summary>Waits until every running silo sees exactly the expected statuses for the silos it is asked about.</summary>
    public Task WaitForViewsAsync(string what, Func<CoordinatorProcess, string?> expectedStatus, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(what, async () =>
        {
            foreach (var observer in Silos.Where(s => s.IsRunning))
            {
                var (_, statuses) = await observer.ClusterViewAsync();
                foreach (var silo in Silos)
                {
                    var expected = expectedStatus(silo);
                    if (expected is not null && statuses.GetValueOrDefault(silo.SiloPort) != expected)
                    {
                        return null;
                    }
                }
            }
            return "agreed";
        }, () => Diagnostics(), timeout);

    public string Diagnostics(int lines = 25) =>
        string.Join(Environment.NewLine, Silos.Select(s => s.Tail(lines)).Concat(Workers.Select(w => w.Tail(lines))));

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.00} s] {message}");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Workers.Cast<IAsyncDisposable>().Concat(Silos))
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception ex)
            {
                _output.WriteLine($"Disposal failed: {ex}");
            }
        }
        _output.WriteLine(Diagnostics(20));
        try
        {
            await _server.DropDatabaseAsync(ConnectionString);
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Npgsql.NpgsqlException)
        {
            _output.WriteLine($"Clean-up incomplete: {ex.Message}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}

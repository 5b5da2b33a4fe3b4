using Npgsql;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// N coordinator silo processes over one fresh PostgreSQL database (store and Orleans membership), and
/// worker processes that know every silo's URL. Disposing also drops the database.
/// </summary>
public sealed class SiloCluster : ProcessCluster
{
    private readonly PostgresServer _server;

    private SiloCluster(ITestOutputHelper output, PostgresServer server, string connectionString, string clusterId, int siloCount, int workerCount)
        : base(output, "cluster", Enumerable.Range(1, siloCount).Select(i => $"silo{i}"), workerCount, StoreSettings(connectionString, clusterId))
    {
        _server = server;
        ConnectionString = connectionString;
        ClusterId = clusterId;
    }

    /// <summary>The cluster's own database on the test PostgreSQL server.</summary>
    public string ConnectionString { get; }

    /// <summary>Orleans ClusterId and ServiceId (the deployment_id of its membership rows).</summary>
    public string ClusterId { get; }

    /// <summary>
    /// Starts <paramref name="siloCount"/> silos one after another on a fresh database, then attaches
    /// <paramref name="workerCount"/> workers (not yet running). Worker i lists the silos starting from
    /// silo i, so each silo is some worker's first choice and a killed silo forces that worker to fail over.
    /// </summary>
    public static async Task<SiloCluster> StartAsync(ITestOutputHelper output, PostgresServer server, int siloCount, int workerCount)
    {
        var cluster = new SiloCluster(output, server, await server.CreateDatabaseAsync(), "test-" + Guid.NewGuid().ToString("N"), siloCount, workerCount);
        await cluster.StartProcessesAsync();
        cluster.Log($"cluster {cluster.ClusterId} on database {new NpgsqlConnectionStringBuilder(cluster.ConnectionString).Database}");
        return cluster;
    }

    /// <summary>Starts the given silos (all at once, as after a whole-cluster outage) and waits until each answers its health check.</summary>
    public Task StartSilosAsync(IEnumerable<CoordinatorProcess> silos) => Task.WhenAll(silos.Select(s => s.StartAsync()));

    /// <summary>
    /// The silo the job's grain was activated on when it was submitted: the one whose log has the grain's
    /// "Job {id} submitted" line (coordinator/Volunteer.Coordinator/Grains/JobGrain.cs).
    /// </summary>
    public Task<CoordinatorProcess> FindJobHostAsync(Guid jobId)
    {
        var line = $"Job {jobId} submitted";
        return Eventually.WaitAsync(
            $"a silo to log \"{line}\"",
            () => Task.FromResult(Silos.FirstOrDefault(s => s.Lines.Any(l => l.Contains(line, StringComparison.Ordinal)))),
            () => Diagnostics(),
            TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Polls GET /api/v1/cluster of every given silo until each view passes <paramref name="check"/> (which
    /// names what is wrong, or returns null); fails on the deadline with the last views and the logs.
    /// </summary>
    public async Task<IReadOnlyDictionary<CoordinatorProcess, ClusterSnapshot>> WaitForViewsAsync(
        string what, IEnumerable<CoordinatorProcess> observers, Func<CoordinatorProcess, ClusterSnapshot, string?> check)
    {
        var watched = observers.ToList();
        var last = new Dictionary<CoordinatorProcess, string>();
        return await Eventually.WaitAsync<IReadOnlyDictionary<CoordinatorProcess, ClusterSnapshot>>(
            what,
            async () =>
            {
                var views = new Dictionary<CoordinatorProcess, ClusterSnapshot>();
                var agreed = true;
                foreach (var observer in watched)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    var view = await observer.ClusterViewAsync(timeout.Token);
                    views[observer] = view;
                    var problem = check(observer, view);
                    last[observer] = problem is null ? $"ok: {view}" : $"{problem}: {view}";
                    agreed &= problem is null;
                }
                return agreed ? views : null;
            },
            () => "Last views:" + Environment.NewLine + string.Join(Environment.NewLine, last.Select(v => $"  {v.Key.Name}: {v.Value}")) +
                Environment.NewLine + Diagnostics(),
            interval: TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A check for <see cref="WaitForViewsAsync"/>: the view lists every given silo's newest incarnation as Active.</summary>
    public static string? AllActive(ClusterSnapshot view, IEnumerable<CoordinatorProcess> silos)
    {
        var missing = silos.Where(s => view.Newest(s.SiloPort)?.Status != "Active").Select(s => s.Name).ToList();
        return missing.Count == 0 ? null : $"not active: {string.Join(", ", missing)}";
    }

    protected override string DescribeStore() => PostgresDatabase.Describe(ConnectionString, JobId, ClusterId);

    protected override async Task DisposeStoreAsync(ITestOutputHelper output)
    {
        try
        {
            await _server.DropDatabaseAsync(ConnectionString);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            output.WriteLine($"Could not drop the cluster's database: {ex.Message}");
        }
    }

    private static Dictionary<string, string> StoreSettings(string connectionString, string clusterId) => new()
    {
        // Selects the PostgreSQL store and Orleans ADO.NET clustering on the same database.
        ["ConnectionStrings__Volunteer"] = connectionString,
        ["Orleans__ClusterId"] = clusterId,
        ["Orleans__ServiceId"] = clusterId,
        ["Orleans__AdvertisedIP"] = "127.0.0.1",
        // Declare a killed silo dead within seconds instead of Orleans' production defaults
        // (properties of Orleans.Configuration.ClusterMembershipOptions, bound from Orleans:Membership).
        ["Orleans__Membership__ProbeTimeout"] = "00:00:01",
        ["Orleans__Membership__NumMissedProbesLimit"] = "2",
        ["Orleans__Membership__NumVotesForDeathDeclaration"] = "1",
        // A silo restarted on its old endpoint declares its previous incarnation dead; should that write
        // lose a race with other silos' membership writes, Orleans retries only at the next table refresh
        // (60 s by default), and meanwhile nobody else votes the old incarnation dead because the endpoint
        // answers again (connection liveness check). Joining silos wait for it. Refresh every 2 s instead.
        ["Orleans__Membership__TableRefreshTimeout"] = "00:00:02",
    };
}

/// <summary>The test PostgreSQL server (shared by the suite's test command, or a private one), for the cluster tests.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterPostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "Cluster on PostgreSQL";
}

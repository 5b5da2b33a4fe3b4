using System.Diagnostics;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// N coordinator silo processes over one fresh PostgreSQL database (store and Orleans membership), and
/// worker processes that know every silo's URL. Disposing kills every process by its id, drops the
/// database and deletes the folder, whatever the outcome.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    /// <summary>Every wait on the cluster (start, membership, job) gives up after this.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly ITestOutputHelper _output;
    private readonly PostgresServer _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private SiloCluster(ITestOutputHelper output, PostgresServer server, string root, string connectionString, string clusterId,
        IReadOnlyList<CoordinatorProcess> silos, IReadOnlyList<WorkerProcess> workers)
    {
        _output = output;
        _server = server;
        Root = root;
        ConnectionString = connectionString;
        ClusterId = clusterId;
        Silos = silos;
        Workers = workers;
    }

    public string Root { get; }

    /// <summary>The cluster's own database on the test PostgreSQL server.</summary>
    public string ConnectionString { get; }

    /// <summary>Orleans ClusterId and ServiceId (the deployment_id of its membership rows).</summary>
    public string ClusterId { get; }

    public IReadOnlyList<CoordinatorProcess> Silos { get; }

    public IReadOnlyList<WorkerProcess> Workers { get; }

    /// <summary>The job whose unfinished units <see cref="Diagnostics"/> describes.</summary>
    public Guid? JobId { get; set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Starts <paramref name="siloCount"/> silos one after another on a fresh database, then attaches
    /// <paramref name="workerCount"/> workers (not yet running). Worker i lists the silos starting from
    /// silo i, so each silo is some worker's first choice and a killed silo forces that worker to fail over.
    /// </summary>
    public static async Task<SiloCluster> StartAsync(ITestOutputHelper output, PostgresServer server, int siloCount, int workerCount)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var root = Path.Combine(Path.GetTempPath(), "volunteer-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var clusterId = "test-" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string>
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
            // Timestamps in the silos' logs, to line them up with the workers' logs in failure messages.
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        var apiKey = "cluster-" + Guid.NewGuid().ToString("N");
        var silos = Enumerable.Range(1, siloCount)
            .Select(i => new CoordinatorProcess(Path.Combine(root, $"silo{i}"), TimeSpan.FromSeconds(1), settings, apiKey, $"silo{i}"))
            .ToList();
        var workers = Enumerable.Range(1, workerCount)
            .Select(i => new WorkerProcess($"w{i}", Path.Combine(root, $"w{i}"), root))
            .ToList();
        var cluster = new SiloCluster(output, server, root, connectionString, clusterId, silos, workers);
        try
        {
            foreach (var silo in silos)
            {
                await silo.StartAsync();
            }
            await Task.WhenAll(workers.Select((w, i) => w.AttachAsync(cluster.UrlsFrom(i))));
            cluster.Log($"{siloCount} silos up in cluster {clusterId}: " +
                string.Join(", ", silos.Select(s => $"{s.Name}={s.BaseAddress} silo port {s.SiloPort}")));
            if (workerCount > 0)
            {
                cluster.Log($"{workerCount} workers attached: " +
                    string.Join(", ", workers.Select((w, i) => $"{w.Name}={w.WorkerId} first to {silos[i % siloCount].Name}")));
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every silo's URL, starting from silo <paramref name="first"/> (modulo the silo count).</summary>
    public Uri[] UrlsFrom(int first) =>
        Enumerable.Range(0, Silos.Count).Select(k => Silos[(first + k) % Silos.Count].BaseAddress).ToArray();

    /// <summary>Starts the given silos (all at once, as after a whole-cluster outage) and waits until each answers /health.</summary>
    public Task StartSilosAsync(IEnumerable<CoordinatorProcess> silos) => Task.WhenAll(silos.Select(s => s.StartAsync()));

    public void StartWorkers()
    {
        foreach (var worker in Workers)
        {
            worker.Start();
        }
    }

    public IReadOnlyList<AcknowledgedReport> AllAcknowledged() => Workers.SelectMany(w => w.Acknowledged).ToList();

    /// <summary>Submits a job through <paramref name="silo"/>; its unfinished units then show in <see cref="Diagnostics"/>.</summary>
    public async Task<JobSnapshot> SubmitAsync(CoordinatorProcess silo, object submission)
    {
        var job = await silo.SubmitJobAsync(submission);
        JobId = job.Id;
        Log($"submitted through {silo.Name}: {job}");
        return job;
    }

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
    /// names what is wrong, or returns null); fails after <see cref="Deadline"/> with the last views and the logs.
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
            Deadline,
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A check for <see cref="WaitForViewsAsync"/>: the view lists every given silo's newest incarnation as Active.</summary>
    public static string? AllActive(ClusterSnapshot view, IEnumerable<CoordinatorProcess> silos)
    {
        var missing = silos.Where(s => view.Newest(s.SiloPort)?.Status != "Active").Select(s => s.Name).ToList();
        return missing.Count == 0 ? null : $"not active: {string.Join(", ", missing)}";
    }

    /// <summary>Polls the job through <paramref name="silo"/> until it has finished; fails after <see cref="Deadline"/>.</summary>
    public Task<JobSnapshot> WaitForJobAsync(CoordinatorProcess silo, Guid jobId) =>
        silo.WaitForJobToFinishAsync(jobId, () => Diagnostics(), Deadline);

    /// <summary>The log tails of every process and what the database holds, for failure messages. Never throws.</summary>
    public string Diagnostics(int lines = 25) =>
        string.Join(Environment.NewLine, Silos.Select(s => s.Tail(lines))
            .Concat(Workers.Select(w => w.Tail(lines)))
            .Append(PostgresDatabase.Describe(ConnectionString, JobId, ClusterId)));

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.00} s] {message}");

    /// <summary>Kills every process (workers first), keeps the log tails in the test output, drops the database. Never throws.</summary>
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
                // Disposal must not hide the test's own outcome.
                _output.WriteLine($"Disposal failed: {ex}");
            }
        }
        try
        {
            _output.WriteLine(Diagnostics(20));
        }
        catch (Exception ex)
        {
            _output.WriteLine($"No diagnostics: {ex.Message}");
        }
        try
        {
            await _server.DropDatabaseAsync(ConnectionString);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            _output.WriteLine($"Could not drop the cluster's database: {ex.Message}");
        }
        TestFolders.Delete(Root, _output);
    }
}


/// <summary>The test PostgreSQL server (shared by the suite's test command, or a private one), for the cluster tests.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterPostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "Cluster on PostgreSQL";
}

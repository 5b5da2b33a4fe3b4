using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// The real coordinator in-process: a real Orleans silo (localhost clustering on free ports, so test
/// classes can run in parallel) over a real SQLite file in a fresh temporary folder.
/// </summary>
public class CoordinatorFactory : WebApplicationFactory<Program>
{
    public const string ApiKey = "api-tests-key-0f6f2c1e9a7d4b3c8e5a";

    private readonly IReadOnlyDictionary<string, string> _extraSettings;
    private readonly Dictionary<string, SimulatedWorker> _sharedWorkers = [];
    private readonly SemaphoreSlim _sharedWorkersGate = new(1, 1);

    public CoordinatorFactory()
        : this(new Dictionary<string, string>())
    {
    }

    protected CoordinatorFactory(IReadOnlyDictionary<string, string> extraSettings)
    {
        _extraSettings = extraSettings;
        DataDirectory = TestFolders.Create("api-tests");
    }

    public string DataDirectory { get; }

    public IWorkStore Store => Services.GetRequiredService<IWorkStore>();

    /// <summary>A client for the job API, carrying the API key.</summary>
    public HttpClient CreateJobsClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, ApiKey);
        return client;
    }

    /// <summary>Workers attached so far, counted straight from the SQLite file.</summary>
    public async Task<long> CountWorkersAsync()
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, "volunteer.db"),
            Pooling = false,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM workers";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A worker attached once per factory and reused by every test of the class: attaching is rate
    /// limited per client address (120 a minute), and all test clients share one.
    /// </summary>
    internal async Task<SimulatedWorker> SharedWorkerAsync(string name)
    {
        await _sharedWorkersGate.WaitAsync();
        try
        {
            if (!_sharedWorkers.TryGetValue(name, out var worker))
            {
                worker = await SimulatedWorker.AttachAsync(this, name);
                _sharedWorkers[name] = worker;
            }
            return worker;
        }
        finally
        {
            _sharedWorkersGate.Release();
        }
    }

    /// <summary>The stored replica (the source of truth), or null.</summary>
    public Task<ReplicaRecord?> FindReplicaAsync(ReplicaRef replica) => Store.FindReplicaAsync(replica);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var ports = FreePort.Next(2);
        builder.UseEnvironment("Development");
        builder.UseSetting("Volunteer:ApiKey", ApiKey);
        builder.UseSetting("Volunteer:DataDirectory", DataDirectory);
        builder.UseSetting("Orleans:SiloPort", ports[0].ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", ports[1].ToString(CultureInfo.InvariantCulture));
        // Tests name the unit a host gets, so hosts get the oldest waiting units in order; the placement tests
        // turn the random pick back on.
        builder.UseSetting("Volunteer:PlacementPoolSize", "1");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, PeerAddressFromTestHeader>());
        foreach (var (key, value) in _extraSettings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var worker in _sharedWorkers.Values)
        {
            worker.Dispose();
        }
        _sharedWorkers.Clear();
        _sharedWorkersGate.Dispose();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        TestFolders.Delete(DataDirectory);
    }
}

/// <summary>A coordinator that sweeps for expired leases every 200 ms, for lease-deadline tests.</summary>
public sealed class FastSweepCoordinatorFactory : CoordinatorFactory
{
    public FastSweepCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:LeaseSweepInterval"] = "00:00:00.200" })
    {
    }
}

/// <summary>
/// A coordinator that lets each worker sync far more often than the default 50 times a second, for
/// test classes whose shared workers sync many times in quick succession.
/// </summary>
public sealed class UnthrottledCoordinatorFactory : CoordinatorFactory
{
    public UnthrottledCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:SyncsPerWorkerPerSecond"] = "100000" })
    {
    }
}

/// <summary>
/// The in-memory test server has no network peer: a test gives a request's peer address in
/// <see cref="Header"/>, as the connection would, so placement by network can be tested over the HTTP
/// pipeline. Test code only: the coordinator itself takes the address from the connection.
/// </summary>
internal sealed class PeerAddressFromTestHeader : IStartupFilter
{
    public const string Header = "X-Test-Peer-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (http, nextMiddleware) =>
        {
            if (http.Request.Headers.TryGetValue(Header, out var address))
            {
                http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address.ToString());
            }
            await nextMiddleware(http);
        });
        next(app);
    };
}

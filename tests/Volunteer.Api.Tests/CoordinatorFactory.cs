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
    public Task<long> CountWorkersAsync() => CountRowsAsync("workers");

    /// <summary>Volunteer accounts so far, signed up or anonymous, counted straight from the SQLite file.</summary>
    public Task<long> CountAccountsAsync() => CountRowsAsync("accounts");

    /// <summary>Every byte the coordinator has written to its SQLite database, write-ahead log included.</summary>
    public byte[] ReadDatabaseFiles() =>
        [.. Directory.EnumerateFiles(DataDirectory, "volunteer.db*").SelectMany(path =>
        {
            // The coordinator holds the files open; read them as they are, beside it.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            file.CopyTo(copy);
            return copy.ToArray();
        })];

    private async Task<long> CountRowsAsync(string table)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, "volunteer.db"),
            Pooling = false,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
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

/// <summary>A closed project: only a caller with the API key may create a volunteer account.</summary>
public sealed class ApiKeySignUpCoordinatorFactory : CoordinatorFactory
{
    public ApiKeySignUpCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:SignUp"] = "ApiKey" })
    {
    }
}

/// <summary>
/// A coordinator for the cheating-volunteer tests: it sweeps for expired leases every 200 ms (so one-second
/// deadlines pass, and hosts hear of their judged results, within a test), lets each host sync as often as a
/// cheater likes (the tests' hosts sync twice a turn), lets one account hold at most 6 replicas of a job
/// (so the per-account cap shows with a few hosts), and gives a host 500 replicas a day per core (so a few
/// dozen lies exhaust a quota).
/// </summary>
public sealed class CheatingVolunteersCoordinatorFactory : CoordinatorFactory
{
    public const int MaxInProgressPerAccount = 6;

    public const int DailyQuotaPerCore = 500;

    public CheatingVolunteersCoordinatorFactory()
        : base(new Dictionary<string, string>
        {
            ["Volunteer:LeaseSweepInterval"] = "00:00:00.200",
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
            ["Volunteer:MaxInProgressPerAccount"] = MaxInProgressPerAccount.ToString(CultureInfo.InvariantCulture),
            ["Volunteer:DailyQuotaPerCore"] = DailyQuotaPerCore.ToString(CultureInfo.InvariantCulture),
        })
    {
    }
}

/// <summary>Replica placement as the coordinator ships: each new replica picked at random among the oldest waiting units.</summary>
public sealed class RandomPlacementCoordinatorFactory : CoordinatorFactory
{
    public RandomPlacementCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:PlacementPoolSize"] = "64" })
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

/// <summary>
/// A coordinator whose wall clock the test sets (<see cref="Clock"/>), so that what it computes from the time, such as
/// recent average credit, is known exactly. Its timers and timestamps stay real, so the silo runs as ever.
/// </summary>
public class SetClockCoordinatorFactory : CoordinatorFactory
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public SetClockCoordinatorFactory()
        : this(new Dictionary<string, string>())
    {
    }

    protected SetClockCoordinatorFactory(IReadOnlyDictionary<string, string> extraSettings)
        : base(extraSettings)
    {
    }

    public SetClock Clock { get; } = new(Start);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Orleans reads the same clock, and these tests move it by days, backwards as well as forwards. Three of its
        // membership rules then stop the silo's own process (the test host crashed under the suite's load, three times):
        // a silo whose "I am alive" looks two table periods stale is declared dead (a limit of a million periods keeps
        // it alive for years of test time), a silo generation older than an hour by the clock is retired as dead
        // (retirement is switched off: this one-silo cluster has no stale generations to retire), and a silo still
        // seen joining once its start is further back by the clock than the longest join (5 min) is suspected, its own
        // vote being all a one-silo cluster needs (that eviction is switched off: this silo joins once, at start).
        builder.UseSetting("Orleans:Membership:NumMissedTableIAmAliveLimit", "1000000");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.PostConfigure<Orleans.Configuration.ClusterMembershipOptions>(membership =>
            {
                membership.SiloGenerationRetirementAge = null;
                membership.EvictWhenMaxJoinAttemptTimeExceeded = false;
            });
        });
    }
}

/// <summary>A clock that reads what the test set; time moves only when the test moves it.</summary>
public sealed class SetClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

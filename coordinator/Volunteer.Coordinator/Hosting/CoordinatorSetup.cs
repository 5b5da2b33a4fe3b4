using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Dashboard;
using Volunteer.Coordinator.Dashboard.Jobs;
using Volunteer.Dashboard;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Peers;
using Volunteer.Coordinator.Presence;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Storage.Postgres;
using Volunteer.Coordinator.Storage.Sqlite;
using Volunteer.Apps;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Apps;
using Volunteer.Protocol;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;

namespace Volunteer.Coordinator.Hosting;

/// <summary>Wires the coordinator: options, store, Orleans silo, apps, API services.</summary>
public static class CoordinatorSetup
{
    /// <summary>ConnectionStrings:Volunteer (environment ConnectionStrings__Volunteer) selects PostgreSQL.</summary>
    public const string PostgresConnectionName = "Volunteer";

    public static WebApplicationBuilder AddCoordinator(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<VolunteerOptions>().BindConfiguration(VolunteerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ScienceAppCatalog.BuiltIn);
        // One sandbox per process: it compiles each module once (registration checks, reducers).
        services.AddSingleton<WasmSandbox>();
        services.AddSingleton<AppDirectory>();
        services.AddSingleton<CoordinatorMetrics>();
        // Choosing PostgreSQL is configuration only: a connection string switches the store and clustering.
        var postgres = builder.Configuration.GetConnectionString(PostgresConnectionName);
        // The blobs and the coordinator's key live with the store: in the data folder, or in PostgreSQL for every silo.
        if (string.IsNullOrWhiteSpace(postgres))
        {
            services.AddSingleton<IWorkStore>(sp => new SqliteWorkStore(DataDirectory(sp)));
            services.AddSingleton<IBlobStore>(sp => new FileBlobStore(Path.Combine(DataDirectory(sp), "blobs")));
            services.AddSingleton<CoordinatorKeyStore>(sp => new FileCoordinatorKeyStore(DataDirectory(sp)));
        }
        else
        {
            services.AddSingleton(_ => NpgsqlDataSource.Create(postgres));
            services.AddSingleton<IWorkStore, PostgresWorkStore>();
            services.AddSingleton<IBlobStore, PostgresBlobStore>();
            services.AddSingleton<CoordinatorKeyStore, PostgresCoordinatorKeyStore>();
        }
        services.AddSingleton(sp => sp.GetRequiredService<CoordinatorKeyStore>().Key);
        services.AddSingleton<ResultFiles>();
        services.AddSingleton<RelayCounters>();
        services.AddSingleton<BlobCollector>();
        // Registered before the silo so the schema exists before any grain activates.
        services.AddHostedService<StoreInitializer>();
        services.AddSingleton<WorkerDirectory>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AccountKeys>();
        services.AddSingleton<WorkerSync>();
        services.AddSingleton<SyncRateLimit>();
        services.AddSingleton<WorkerAdmission>();
        services.AddSingleton<HostPresence>();
        services.AddPeerIndex();
        services.AddSingleton<ResultPuller>().AddHttpClient(ResultPuller.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<RunningJobs>();
        services.AddDashboardSources();
        // The dashboard's scripts and styles come from its project and packages: their manifest is read in every
        // environment, not only in Development (published builds carry the files themselves and ignore it).
        builder.WebHost.UseStaticWebAssets();
        // Kestrel's own backlog (512) overflowed at 100,000 volunteers syncing once a minute over fresh connections: the
        // kernel had counted 2.5 million listen overflows over those runs, and the volunteers' connects took 2.3 s at the
        // median (SYN retries); none with 4096.
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<VolunteerOptions>>((sockets, volunteer) =>
            sockets.Backlog = volunteer.Value.ListenBacklog);
        services.Configure<JsonOptions>(o => ProtocolJson.Apply(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            var limits = builder.Configuration.GetSection(VolunteerOptions.Section).Get<VolunteerOptions>() ?? new VolunteerOptions();
            limiter.AddPolicy(WorkersApi.AttachRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress ?? IPAddress.None,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.AttachesPerAddressPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });

        builder.UseOrleans(silo =>
        {
            var orleans = builder.Configuration.GetSection("Orleans");
            var siloPort = orleans.GetValue("SiloPort", 11111);
            var gatewayPort = orleans.GetValue("GatewayPort", 30000);
            if (string.IsNullOrWhiteSpace(postgres))
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort);
            }
            else
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = postgres;
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = orleans.GetValue("ClusterId", "volunteer");
                    o.ServiceId = orleans.GetValue("ServiceId", "volunteer");
                });
                silo.ConfigureEndpoints(AdvertisedAddress(orleans["AdvertisedIP"]), siloPort, gatewayPort, listenOnAnyHostAddress: true);
            }
            // Failure detection can be tuned (e.g. Orleans:Membership:ProbeTimeout) without a rebuild.
            silo.Services.AddOptions<ClusterMembershipOptions>()
                // A silo restarted in place must see its old incarnation declared dead soon; the 60 s
                // default refresh left restarted clusters waiting about a minute (measured by the cluster tests).
                .Configure(o => o.TableRefreshTimeout = TimeSpan.FromSeconds(10))
                .Bind(orleans.GetSection("Membership"));
            silo.Services.AddSerializer(serializer => serializer.AddGrainMessageSerializers());
        });
        // After the silo: started once it is up, and stopped (flushing their counts to the grains) before it stops.
        services.AddHostedService(sp => sp.GetRequiredService<RelayCounters>());
        services.AddHostedService(sp => sp.GetRequiredService<BlobCollector>());
        services.AddHostedService(sp => sp.GetRequiredService<HostPresence>());
        return builder;
    }

    private static string DataDirectory(IServiceProvider services) =>
        services.GetRequiredService<IOptions<VolunteerOptions>>().Value.DataDirectory;

    /// <summary>The address other silos reach this one at: configured, else this host's first IPv4 address.</summary>
    private static IPAddress AdvertisedAddress(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return IPAddress.Parse(configured);
        }
        return Dns.GetHostAddresses(Dns.GetHostName())
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }

    public static WebApplication MapCoordinator(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before the credentials and the rate limiter, so the attach limit per address and replica placement see the real client.
        app.UseForwardedClientAddress(app.Services.GetRequiredService<IOptions<VolunteerOptions>>().Value.TrustedProxies);
        app.UseWorkerAdmission();
        app.UseCredentials();
        app.UseSyncRateLimit();
        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapHealthChecks("/health");
        app.MapJobsApi();
        app.MapAppsApi();
        app.MapAccountsApi();
        app.MapLeaderboardApi();
        app.MapWorkersApi();
        app.MapWorkerBlobsApi();
        app.MapHostsApi();
        app.MapClusterApi();
        app.MapBlobsApi();
        app.MapJobImages();
        app.MapDashboard();
        return app;
    }

    /// <summary>
    /// Behind reverse proxies the client is the address the proxy puts last in X-Forwarded-For, believed only on a
    /// connection from one of <paramref name="trustedProxies"/>. ASP.NET Core's defaults trust all of loopback,
    /// which would let any client on the coordinator's host name the address it is rate-limited and placed by, so
    /// they are cleared. With no trusted proxies the header is not read at all.
    /// </summary>
    private static void UseForwardedClientAddress(this WebApplication app, string[] trustedProxies)
    {
        if (trustedProxies.Length == 0)
        {
            return;
        }
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        foreach (var proxy in trustedProxies)
        {
            forwarded.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new OptionsValidationException(Options.DefaultName, typeof(VolunteerOptions),
                    [$"{VolunteerOptions.Section}:{nameof(VolunteerOptions.TrustedProxies)} lists '{proxy}', which is not an IP address."]));
        }
        app.UseForwardedHeaders(forwarded);
    }
}

using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Json;
using Orleans.Serialization;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Storage.Sqlite;
using Volunteer.WorkUnits.Apps;
using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Hosting;

/// <summary>Wires the coordinator: options, store, Orleans silo, apps, API services.</summary>
public static class CoordinatorSetup
{
    public static WebApplicationBuilder AddCoordinator(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<VolunteerOptions>().BindConfiguration(VolunteerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ScienceAppCatalog.BuiltIn);
        services.AddSingleton<CoordinatorMetrics>();
        services.AddSingleton<IWorkStore>(sp => new SqliteWorkStore(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<VolunteerOptions>>().Value.DataDirectory));
        // Registered before the silo so the schema exists before any grain activates.
        services.AddHostedService<StoreInitializer>();
        services.AddSingleton<WorkerDirectory>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<WorkerSync>();
        services.Configure<JsonOptions>(o => ProtocolJson.Apply(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            var options = builder.Configuration.GetSection(VolunteerOptions.Section).Get<VolunteerOptions>() ?? new VolunteerOptions();
            limiter.AddPolicy(WorkersApi.SyncRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Request.Headers.Authorization.ToString(),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SyncsPerWorkerPerSecond, Window = TimeSpan.FromSeconds(1) }));
            limiter.AddPolicy(WorkersApi.AttachRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress ?? IPAddress.None,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 120, Window = TimeSpan.FromMinutes(1) }));
        });

        builder.UseOrleans(silo =>
        {
            var orleans = builder.Configuration.GetSection("Orleans");
            silo.UseLocalhostClustering(
                siloPort: orleans.GetValue("SiloPort", 11111),
                gatewayPort: orleans.GetValue("GatewayPort", 30000));
            // The wire contracts live in workunits/, which stays free of Orleans: carry them as JSON.
            silo.Services.AddSerializer(serializer => serializer.AddJsonSerializer(
                isSupported: type => type.Namespace == typeof(JobView).Namespace));
        });
        return builder;
    }

    public static WebApplication MapCoordinator(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapHealthChecks("/health");
        app.MapJobsApi();
        app.MapWorkersApi();
        return app;
    }
}

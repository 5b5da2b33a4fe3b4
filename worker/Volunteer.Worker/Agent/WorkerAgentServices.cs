using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Volunteer.Apps;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Agent;

/// <summary>Assembles the agent of one attached worker from parts that exist before it runs.</summary>
public static class WorkerAgentServices
{
    /// <summary>
    /// Registers the agent as a hosted service with its settings, identity, signing key, work folder,
    /// unit runner and coordinator client. The science apps and the clock are the built-in ones and
    /// the system's unless registered before.
    /// </summary>
    public static IServiceCollection AddWorkerAgent(this IServiceCollection services, WorkerOptions options, WorkerIdentity identity, ECDsa key)
    {
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(identity);
        services.AddSingleton(key);
        services.AddSingleton(new CoordinatorLimits(identity.Limits));
        services.AddSingleton(new WorkFolder(options.StateDirectory));
        services.TryAddSingleton(ScienceAppCatalog.BuiltIn);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<UnitRunner>();
        // Each attempt has its own timeout in the client's resilience pipeline.
        services.AddHttpClient<CoordinatorClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => CoordinatorConnections.Handler(options));
        services.AddSingleton<WorkerAgent>();
        services.AddHostedService(provider => provider.GetRequiredService<WorkerAgent>());
        return services;
    }
}

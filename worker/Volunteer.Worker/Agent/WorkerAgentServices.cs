using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Volunteer.Apps;
using Volunteer.Apps.Wasm;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Governor.Machine;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Agent;

/// <summary>Assembles the agent of one attached worker from parts that exist before it runs.</summary>
public static class WorkerAgentServices
{
    /// <summary>
    /// Registers the agent as a hosted service with its settings, identity, signing key, work folder,
    /// unit runner, coordinator client and its parts as a peer (blob cache, endpoint, swarm fetch, relay).
    /// The science apps and the clock are the built-in ones and the system's, and the WebAssembly sandbox the agent's own,
    /// unless registered before.
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
        // The agent process shares one governor and one slot pool among its projects; alone, an agent has its own.
        services.TryAddSingleton(provider => new ComputeGovernor(
            provider.GetService<IConfiguration>() is { } configuration ? ComputeLimits.From(configuration) : new ComputeLimits { Slots = options.Slots },
            provider.GetRequiredService<TimeProvider>(),
            MachineProbe.ForThisPlatform(provider.GetRequiredService<TimeProvider>()),
            provider.GetRequiredService<ILogger<ComputeGovernor>>()));
        services.TryAddSingleton<SlotPool>();
        // One sandbox per process too: a module is compiled once, whichever project's units run it.
        services.TryAddSingleton<WasmSandbox>();
        services.TryAddSingleton<CompiledModules>();
        services.AddSingleton<UnitRunner>();
        services.AddSingleton<CoordinatorReach>();
        // Each attempt has its own timeout in the client's resilience pipeline.
        services.AddHttpClient<CoordinatorClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => CoordinatorConnections.Handler(options));
        AddPeer(services, options, identity);
        services.AddSingleton<WorkerAgent>();
        services.AddHostedService(provider => provider.GetRequiredService<WorkerAgent>());
        return services;
    }

    private static void AddPeer(IServiceCollection services, WorkerOptions options, WorkerIdentity identity)
    {
        services.AddSingleton(provider => new BlobCache(options.StateDirectory, options.CacheBytes, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new RelayInbox(options.StateDirectory, options.MaxRelayBundles, options.RelayInboxBytes));
        services.AddSingleton(new CoordinatorPublicKey(identity.CoordinatorKey));
        services.AddSingleton(provider => new UploadBudget(options.UploadBytesPerSecond, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TransferLog>();
        services.AddSingleton<PeerServer>();
        services.AddSingleton<SwarmFetcher>();
        services.AddSingleton<RelayCourier>();
        services.AddSingleton<PeerNode>();
        // Peers are reached from the source address too: the project tells networks apart by it. A stall watch
        // bounds each request instead of an overall timeout, as a chunk from a slow peer may take long and still move.
        services.AddHttpClient(SwarmFetcher.PeersClient, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => CoordinatorConnections.Handler(options));
    }
}

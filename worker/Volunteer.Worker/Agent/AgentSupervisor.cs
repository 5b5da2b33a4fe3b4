using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Volunteer.Apps.Wasm;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Governor.Machine;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The agent process: one <see cref="WorkerAgent"/> per attached project (each with services of its own, on its
/// project's folder), all sharing the machine's slots (<see cref="SlotPool"/>), the owner's limits
/// (<see cref="ComputeGovernor"/>), the WebAssembly modules compiled (<see cref="CompiledModules"/>), the clock and the log, under one host that stops them all on SIGTERM or Ctrl+C.
/// A project whose coordinator no longer recognises this worker stops alone; the process ends when all have stopped.
/// </summary>
public sealed class AgentSupervisor : IHostedService, IAsyncDisposable
{
    /// <summary>How long the host gives its services to stop: units checkpoint, one last sync per project, then exit.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4.5);

    private readonly IReadOnlyList<ProjectRun> _projects;
    private readonly SlotPool _pool;
    private readonly ComputeGovernor _governor;
    private readonly WorkerOptions _options;
    private readonly string _stateDirectory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<AgentSupervisor> _logger;
    private Task _watching = Task.CompletedTask;
    private volatile bool _stopping;

    private AgentSupervisor(
        IReadOnlyList<ProjectRun> projects, ComputeGovernor governor, WorkerOptions options, SlotPool pool, string stateDirectory,
        IHostApplicationLifetime lifetime, ILogger<AgentSupervisor> logger) =>
        (_projects, _governor, _options, _pool, _stateDirectory, _lifetime, _logger) = (projects, governor, options, pool, stateDirectory, lifetime, logger);

    /// <summary>Puts the owner's disk limit, as it is now, in force for every project's blob cache.</summary>
    public void ApplyDiskLimit()
    {
        var attached = _projects.Select(p => p.Project).ToList();
        foreach (var project in _projects)
        {
            project.Services.GetRequiredService<BlobCache>().Resize(CacheShare(_governor, _options, attached, project.Project));
        }
    }

    /// <summary>
    /// A project's blob cache: its resource share of what the disk limit leaves the caches (Worker:CacheBytes at most),
    /// once the relay folders' bounds are set aside; the rest of the state (leases, reports, checkpoints) is small.
    /// </summary>
    private static long CacheShare(ComputeGovernor governor, WorkerOptions options, IReadOnlyList<AttachedProject> attached, AttachedProject project) =>
        (long)((double)governor.CacheBudget(options.CacheBytes, attached.Count * options.RelayInboxBytes)
            * project.Identity.ResourceShare / attached.Sum(p => p.Identity.ResourceShare));

    /// <summary>Each project's sync loop, in the order of their folders' names.</summary>
    public IReadOnlyList<WorkerAgent> Agents => [.. _projects.Select(p => p.Agent)];

    /// <summary>
    /// 1 when every project stopped by itself (its coordinator does not recognise this worker, as when it was
    /// detached) or one failed (its peer port is taken, say); 0 when the agent was stopped.
    /// </summary>
    public int ExitCode =>
        _projects.All(p => p.Agent.Detached) || _projects.Any(p => p.Agent.ExecuteTask is { IsFaulted: true }) ? 1 : 0;

    /// <summary>
    /// Runs the agent until it is stopped (0), or until every project's coordinator says it does not recognise this
    /// worker (1), or it could not run (1: nothing attached, another agent on the same state, a project failed).
    /// </summary>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, WorkerOptions options)
    {
        var attached = ProjectFolders.List(options.StateDirectory);
        if (attached.Count == 0)
        {
            Console.Error.WriteLine($"No project attached (state directory {options.StateDirectory}); run 'attach URL' first.");
            return 1;
        }
        using var agentLock = AgentLock.TryTake(options.StateDirectory);
        if (agentLock is null)
        {
            Console.Error.WriteLine($"An agent is already running on {options.StateDirectory}.");
            return 1;
        }
        var limits = ComputeLimits.From(builder.Configuration);
        var time = TimeProvider.System;
        builder.Services.TryAddSingleton(time);
        builder.Services.AddSingleton(provider => new ComputeGovernor(limits, time, MachineProbe.ForThisPlatform(time), provider.GetRequiredService<ILogger<ComputeGovernor>>()));
        builder.Services.AddSingleton<SlotPool>();
        builder.Services.AddSingleton<WasmSandbox>();
        builder.Services.AddSingleton<CompiledModules>();
        builder.Services.AddSingleton(provider => Create(options, attached, provider));
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AgentSupervisor>());
        builder.Services.AddSingleton<IAgentControl>(provider => new AgentControl(
            provider.GetRequiredService<AgentSupervisor>(), provider.GetRequiredService<ComputeGovernor>(), provider.GetRequiredService<SlotPool>(),
            (IConfigurationRoot)builder.Configuration, options.StateDirectory,
            time, provider.GetRequiredService<ILogger<AgentControl>>()));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        // Started by the Windows service manager, a service stop stops the host as SIGTERM does elsewhere (nothing otherwise).
        builder.Services.AddWindowsService(service => service.ServiceName = "volunteer-worker");
        using var host = builder.Build();
        var supervisor = host.Services.GetRequiredService<AgentSupervisor>();
        await host.RunAsync();
        return supervisor.ExitCode;
    }

    /// <summary>Builds each project's services: its own settings, identity, key and folder, and the process's shared parts.</summary>
    private static AgentSupervisor Create(WorkerOptions options, IReadOnlyList<AttachedProject> attached, IServiceProvider shared)
    {
        var governor = shared.GetRequiredService<ComputeGovernor>();
        var projects = new List<ProjectRun>();
        foreach (var (project, index) in attached.Select((p, i) => (p, i)))
        {
            var projectOptions = JsonSerializer.Deserialize<WorkerOptions>(JsonSerializer.Serialize(options))!;
            projectOptions.StateDirectory = project.Directory;
            projectOptions.CacheBytes = CacheShare(governor, options, attached, project);
            // One port serves one endpoint: the first project's takes the configured one, the others any free one.
            projectOptions.PeerPort = index == 0 ? options.PeerPort : 0;
            var key = project.Identity.LoadKey();
            var services = new ServiceCollection();
            services.AddSingleton(shared.GetRequiredService<ILoggerFactory>());
            services.AddLogging();
            services.AddSingleton(shared.GetRequiredService<TimeProvider>());
            services.AddSingleton(shared.GetRequiredService<ComputeGovernor>());
            services.AddSingleton(shared.GetRequiredService<SlotPool>());
            services.AddSingleton(shared.GetRequiredService<CompiledModules>());
            services.AddSingleton<IHostApplicationLifetime>(new ProjectLifetime());
            services.AddWorkerAgent(projectOptions, project.Identity, key);
            var provider = services.BuildServiceProvider();
            projects.Add(new ProjectRun(project, provider, key, provider.GetRequiredService<WorkerAgent>()));
        }
        return new AgentSupervisor(projects, governor, options, shared.GetRequiredService<SlotPool>(), options.StateDirectory,
            shared.GetRequiredService<IHostApplicationLifetime>(), shared.GetRequiredService<ILogger<AgentSupervisor>>());
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        AgentLog.AgentStarted(_logger, _projects.Count, _pool.Slots, _stateDirectory);
        foreach (var project in _projects)
        {
            await project.Agent.StartAsync(cancellationToken);
        }
        _watching = Task.WhenAll(_projects.Select(WatchAsync)).ContinueWith(_ =>
        {
            // Every project stopped by itself: nothing is left for the process to do.
            if (!_stopping)
            {
                _lifetime.StopApplication();
            }
        }, TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await Task.WhenAll(_projects.Select(p => p.Agent.StopAsync(cancellationToken)));
    }

    public async ValueTask DisposeAsync()
    {
        // A project that did not stop within the host's shutdown timeout is not waited for: the process is ending.
        await Task.WhenAny(_watching, Task.Delay(TimeSpan.FromSeconds(0.5)));
        foreach (var project in _projects)
        {
            await project.Services.DisposeAsync();
            project.Key.Dispose();
        }
    }

    private async Task WatchAsync(ProjectRun project)
    {
        try
        {
            await project.Agent.ExecuteTask!;
        }
        catch (Exception ex)
        {
            AgentLog.ProjectFailed(_logger, ex, project.Project.Name);
            return;
        }
        if (project.Agent.Detached)
        {
            AgentLog.ProjectStopped(_logger, project.Project.Name, "its coordinator does not recognise this worker");
        }
    }

    private sealed record ProjectRun(AttachedProject Project, ServiceProvider Services, ECDsa Key, WorkerAgent Agent);

    /// <summary>
    /// A project's own lifetime: its agent stopping itself (detached) stops that project only; the supervisor notices
    /// and stops the process when none is left.
    /// </summary>
    private sealed class ProjectLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();
    }
}

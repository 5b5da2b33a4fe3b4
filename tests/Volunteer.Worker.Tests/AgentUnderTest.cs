using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Apps;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests;

/// <summary>
/// A worker agent assembled as the run command assembles it, talking to a scripted coordinator, on
/// fake time, in a host that only records whether the agent asked it to stop.
/// </summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset StartTime = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;
    private readonly ECDsa _key;

    public AgentUnderTest(WorkerOptions options, WorkerIdentity identity, ScriptedHandler coordinator, ScienceAppCatalog? apps = null)
    {
        _key = identity.LoadKey();
        _services = Services(options, identity, _key, coordinator, Time, apps, Lifetime);
        Agent = _services.GetRequiredService<WorkerAgent>();
        Folder = _services.GetRequiredService<WorkFolder>();
    }

    public FakeTimeProvider Time { get; } = new(StartTime);

    /// <summary>The agent's services as the run command assembles them, with the coordinator, clock, apps and lifetime given.</summary>
    public static ServiceProvider Services(
        WorkerOptions options, WorkerIdentity identity, ECDsa key, ScriptedHandler coordinator, TimeProvider time,
        ScienceAppCatalog? apps = null, IHostApplicationLifetime? lifetime = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time);
        services.AddSingleton(apps ?? ScienceAppCatalog.BuiltIn);
        services.AddSingleton(lifetime ?? new RecordingLifetime());
        services.AddWorkerAgent(options, identity, key);
        services.AddHttpClient<CoordinatorClient>().ConfigurePrimaryHttpMessageHandler(() => coordinator);
        return services.BuildServiceProvider();
    }

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public RecordingLifetime Lifetime { get; } = new();

    public WorkerAgent Agent { get; }

    public WorkFolder Folder { get; }

    public Task StartAsync() => Agent.StartAsync(CancellationToken.None);

    /// <summary>Waits until the agent's loop has ended by itself.</summary>
    public Task EndedAsync() => Agent.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await Agent.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        _key.Dispose();
    }

    /// <summary>The host's lifetime, reduced to whether someone asked it to stop.</summary>
    public sealed class RecordingLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public bool StopRequested => _stopping.IsCancellationRequested;

        public void StopApplication() => _stopping.Cancel();
    }
}

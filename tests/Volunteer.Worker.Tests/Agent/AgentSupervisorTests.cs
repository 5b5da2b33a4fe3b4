using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Volunteer.Protocol;
using Volunteer.Testing;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests.Agent;

/// <summary>The agent process with two attached projects, each at a coordinator stand-in on a real socket.</summary>
public sealed class AgentSupervisorTests : IDisposable
{
    private const string Detached = """{"status":403,"detail":"This worker was detached."}""";

    private static readonly string Accepted = JsonSerializer.Serialize(new SyncResponse(0, [], [], SyncLimits.Default), ProtocolJson.Options);

    private readonly TempDirectory _state = new();

    [Fact]
    public async Task A_project_whose_coordinator_no_longer_recognises_the_worker_stops_alone_and_the_other_goes_on()
    {
        using var detached = new ListeningCoordinator(HttpStatusCode.Forbidden, Detached);
        using var working = new ListeningCoordinator(HttpStatusCode.OK, Accepted);
        Attach(detached.Url);
        Attach(working.Url);
        var stop = new TaskCompletionSource();
        var builder = Builder();
        builder.Services.AddHostedService(provider => new StopWhen(stop.Task, provider.GetRequiredService<IHostApplicationLifetime>()));

        var run = AgentSupervisor.RunAsync(builder, WorkerOptions.From(builder.Configuration));
        // Twenty syncs of the other project: long after the first project's one sync was refused.
        await Eventually.UntilAsync("the working project to sync twenty times", () => working.Arrived.Count >= 20, () => $"{working.Arrived.Count} syncs",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        stop.SetResult();

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Single(detached.Arrived);
        Assert.StartsWith("this worker is not recognised (HTTP 403)", WorkerStatus.Load(ProjectFolders.For(_state.Path, detached.Url))!.LastSync!.Outcome, StringComparison.Ordinal);
        Assert.StartsWith("accepted", WorkerStatus.Load(ProjectFolders.For(_state.Path, working.Url))!.LastSync!.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_every_projects_coordinator_no_longer_recognises_the_worker_the_agent_exits_with_1()
    {
        using var first = new ListeningCoordinator(HttpStatusCode.Forbidden, Detached);
        using var second = new ListeningCoordinator(HttpStatusCode.Unauthorized, Detached);
        Attach(first.Url);
        Attach(second.Url);
        var builder = Builder();

        var exitCode = await AgentSupervisor.RunAsync(builder, WorkerOptions.From(builder.Configuration)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Equal((1, 1), (first.Arrived.Count, second.Arrived.Count));
    }

    [Fact]
    public async Task With_no_project_attached_the_agent_does_not_start_and_exits_with_1()
    {
        var builder = Builder();

        Assert.Equal(1, await AgentSupervisor.RunAsync(builder, WorkerOptions.From(builder.Configuration)));
        Assert.False(File.Exists(AgentLock.PathIn(_state.Path)));
    }

    public void Dispose() => _state.Dispose();

    private void Attach(Uri coordinator)
    {
        var identity = AttachedWorker.Identity();
        (identity with { WorkerId = Guid.NewGuid(), Coordinators = [coordinator] }).Save(ProjectFolders.For(_state.Path, coordinator));
    }

    private HostApplicationBuilder Builder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Worker:StateDirectory"] = _state.Path,
            ["Worker:Slots"] = "1",
            ["Worker:IdleSyncInterval"] = "00:00:00.020",
            ["Worker:PeerAddress"] = "127.0.0.1",
        });
        return builder;
    }

    /// <summary>Stops the host when the test says so, as SIGTERM would.</summary>
    private sealed class StopWhen(Task signal, IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await signal.WaitAsync(stoppingToken);
            lifetime.StopApplication();
        }
    }
}

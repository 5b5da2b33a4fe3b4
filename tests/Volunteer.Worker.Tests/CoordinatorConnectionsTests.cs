using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;

namespace Volunteer.Worker.Tests;

/// <summary>The agent's syncs, assembled as the run command assembles them, over a real loopback socket.</summary>
public sealed class CoordinatorConnectionsTests
{
    [Theory]
    [InlineData("127.0.0.57", "127.0.0.57")]
    [InlineData(null, "127.0.0.1")]
    public async Task Syncs_connect_from_the_source_address_or_else_from_the_one_the_system_picks(string? sourceAddress, string seen)
    {
        using var coordinator = new ListeningCoordinator(HttpStatusCode.OK, JsonSerializer.Serialize(new SyncResponse(0, [], [], SyncLimits.Default), ProtocolJson.Options));
        var identity = AttachedWorker.Identity() with { Coordinators = [coordinator.Url] };
        using var key = identity.LoadKey();
        var services = new ServiceCollection().AddLogging().AddWorkerAgent(new WorkerOptions { SourceAddress = sourceAddress }, identity, key);
        await using var provider = services.BuildServiceProvider();

        var outcome = await provider.GetRequiredService<CoordinatorClient>().SyncAsync(new SyncRequest(), CancellationToken.None);

        Assert.IsType<SyncOutcome.Accepted>(outcome);
        var arrived = Assert.Single(coordinator.Arrived);
        Assert.Equal(("/" + Routes.WorkerSync, IPAddress.Parse(seen)), (arrived.Path, arrived.From));
    }
}

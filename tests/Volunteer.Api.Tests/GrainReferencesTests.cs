using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;

namespace Volunteer.Api.Tests;

/// <summary>
/// The coordinator's grain references (types looked up once per interface) are the ones Orleans itself makes, for each
/// kind of key, and reach the same activation.
/// </summary>
public sealed class GrainReferencesTests(CoordinatorFactory coordinator) : IClassFixture<CoordinatorFactory>
{
    [Fact]
    public async Task A_reference_equals_the_one_orleans_makes_for_guid_integer_and_string_keys()
    {
        var grains = coordinator.Services.GetRequiredService<IGrainFactory>();
        var host = Guid.NewGuid();

        Assert.Equal(grains.GetGrain<IHostGrain>(host), grains.Reference<IHostGrain>(host));
        Assert.Equal(((GrainReference)grains.GetGrain<IHostGrain>(host)).InterfaceType, ((GrainReference)grains.Reference<IHostGrain>(host)).InterfaceType);
        Assert.Equal(grains.GetGrain<IJobGrain>(host), grains.Reference<IJobGrain>(host));
        Assert.Equal(grains.GetGrain<IJobCatalogGrain>(0), grains.Reference<IJobCatalogGrain>(0));
        Assert.Equal(grains.GetGrain<IBlobHoldersGrain>("sha256:ab"), grains.Reference<IBlobHoldersGrain>("sha256:ab"));
        Assert.NotEqual(grains.GetGrain<IHostGrain>(Guid.NewGuid()), grains.Reference<IHostGrain>(host));
        // Through either, the same activation: what one reference asks of the host's grain, the other reads back.
        var digest = "sha256:" + new string('c', 64);
        Assert.False(await grains.GetGrain<IHostGrain>(host).IsUploadRequestedAsync(digest));
        await grains.Reference<IHostGrain>(host).RequestUploadAsync(digest);
        Assert.True(await grains.GetGrain<IHostGrain>(host).IsUploadRequestedAsync(digest));
    }
}

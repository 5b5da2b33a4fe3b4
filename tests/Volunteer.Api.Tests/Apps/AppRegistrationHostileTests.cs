using System.Net;
using Volunteer.Testing;
using Xunit.Abstractions;
using static Volunteer.Api.Tests.Apps.AppsApiCalls;

namespace Volunteer.Api.Tests.Apps;

/// <summary>Test classes that measure the process's managed heap: they run alone, after the parallel ones, so the heap is theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasuringCollection
{
    public const string Name = "Heap measuring (not parallel)";
}

/// <summary>
/// The app registry under hostile input, 10,000 times over: malformed JSON, bad names, built-in names, missing and
/// unusable modules (WASI imports, too large, not uploaded), limits out of bounds, a registered version again, and reads
/// of malformed or unknown names. Each gets its exact 4xx, nothing is stored, and the managed heap stays flat.
/// </summary>
[Collection(HeapMeasuringCollection.Name)]
public sealed class AppRegistrationHostileTests(AppsCoordinatorFactory factory, ITestOutputHelper output) : IClassFixture<AppsCoordinatorFactory>
{
    private const int Requests = 10_000;

    /// <summary>
    /// What the heap may grow by over the 10,000 requests after the warm-up: a leak of a few hundred bytes a request
    /// would pass it; what it allows is the runtime's own noise (tiered compilation, pools settling).
    /// </summary>
    private const long AllowedGrowthBytes = 8 * 1024 * 1024;

    [Fact]
    public async Task Ten_thousand_bad_registrations_are_refused_store_nothing_and_leave_the_heap_flat()
    {
        using var scientist = factory.CreateJobsClient();
        var primes = await UploadAsync(scientist, WasmModules.Example("primes"));
        var wasi = await UploadAsync(scientist, WasmModules.Test("wasi-fs"));
        var tooLarge = await UploadAsync(scientist, new byte[AppsCoordinatorFactory.MaxModuleBytes + 1]);
        await RegisterAsync(scientist, new Volunteer.Protocol.AppRegistration("taken", "1", primes));
        var before = await factory.Store.ListAppsAsync(100);

        async Task SendBadAsync(int i)
        {
            // Reads of the registry with names that are malformed or registered by nobody, among the registrations.
            if (i % 12 >= 10)
            {
                var (path, expected) = i % 12 == 10
                    ? (Volunteer.Protocol.Routes.App($"bad name {i}"), HttpStatusCode.BadRequest)
                    : (Volunteer.Protocol.Routes.AppVersion($"nobody-{i}", $"{i}"), HttpStatusCode.NotFound);
                using var read = await scientist.GetAsync("/" + path);
                Assert.Equal(expected, read.StatusCode);
                Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
                return;
            }
            var (json, status) = (i % 10) switch
            {
                0 => ($$"""{"name":"bad name {{i}}","version":"1","module":"{{primes}}"}""", HttpStatusCode.BadRequest),
                1 => ($$"""{"name":"primes","version":"{{i}}","module":"{{primes}}"}""", HttpStatusCode.BadRequest),
                2 => ($$"""{"name":"wasi","version":"{{i}}","module":"{{wasi}}"}""", HttpStatusCode.BadRequest),
                3 => ($$"""{"name":"big","version":"{{i}}","module":"{{tooLarge}}"}""", HttpStatusCode.RequestEntityTooLarge),
                4 => ($$"""{"name":"missing","version":"{{i}}","module":"sha256:{{i:x64}}"}""", HttpStatusCode.BadRequest),
                5 => ($$$"""{"name":"limits","version":"{{{i}}}","module":"{{{primes}}}","limits":{"memoryBytes":{{{i}}},"fuelPerUnit":1}}""", HttpStatusCode.BadRequest),
                6 => ($$$"""{"name":"credit","version":"{{{i}}}","module":"{{{primes}}}","credit":{"perUnit":-{{{i}}}}}""", HttpStatusCode.BadRequest),
                7 => ($$"""{"name":"taken","version":"1","module":"{{primes}}"}""", HttpStatusCode.Conflict),
                8 => ($$"""{"name":"json","version":"{{i}}",""", HttpStatusCode.BadRequest),
                _ => ($$"""{"name":"{{new string('x', 65 + i % 100)}}","version":"1","module":"{{primes}}"}""", HttpStatusCode.BadRequest),
            };
            using var response = await PostAsync(scientist, json);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // A warm-up first: the first requests fill caches and compile what later ones reuse.
        for (var i = 0; i < 2_000; i++)
        {
            await SendBadAsync(i);
        }
        var heapBefore = ManagedMemoryAfterFullCollection();
        for (var i = 0; i < Requests; i++)
        {
            await SendBadAsync(i);
        }
        var heapAfter = ManagedMemoryAfterFullCollection();
        output.WriteLine($"managed heap after a full collection: {heapBefore / 1048576.0:0.0} MiB before {Requests:N0} bad registrations, " +
                         $"{heapAfter / 1048576.0:0.0} MiB after");

        Assert.Equal(before, await factory.Store.ListAppsAsync(100));
        Assert.True(heapAfter - heapBefore < AllowedGrowthBytes,
            $"The managed heap grew by {(heapAfter - heapBefore) / 1048576.0:0.0} MiB over {Requests:N0} bad registrations.");
    }

    private static long ManagedMemoryAfterFullCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

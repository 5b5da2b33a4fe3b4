using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Volunteer.Coordinator.Authentication;
using Volunteer.Dashboard.Access;
using Volunteer.Protocol;
using Xunit.Abstractions;

namespace Volunteer.Api.Tests;

/// <summary>
/// The worker API is authenticated by worker tokens alone: a sync carrying the dashboard's API-key cookie (the right key,
/// a wrong one, an oversized one) is served as the token's worker and no differently, 10,000 times over. The cookie
/// handler runs for every request (ASP.NET Core puts authentication in front of the whole pipeline), so a sync's cookie
/// costs one key check, and an oversized key none: the count is exact.
/// </summary>
public sealed class WorkerApiCookieTests(CountingDashboardKeysCoordinatorFactory factory, ITestOutputHelper output)
    : IClassFixture<CountingDashboardKeysCoordinatorFactory>
{
    private const int Syncs = 10_000;

    [Fact]
    public async Task Ten_thousand_syncs_carrying_a_dashboard_cookie_are_served_as_the_tokens_worker_and_cost_one_key_check_at_most()
    {
        using var worker = await SimulatedWorker.AttachAsync(factory, "cookie-bearer");
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        string[] keys = [CoordinatorFactory.ApiKey, "not-a-key", new string('k', ApiKeyCookie.MaxKeyLength + 44)];
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var checkable = 0;
        for (var i = 0; i < Syncs; i++)
        {
            checkable += keys[i % keys.Length].Length <= ApiKeyCookie.MaxKeyLength ? 1 : 0;
            using var sync = new HttpRequestMessage(HttpMethod.Post, Routes.WorkerSync)
            {
                Content = JsonContent.Create(new SyncRequest(), options: ProtocolJson.Options),
            };
            sync.Headers.Authorization = new AuthenticationHeaderValue("Bearer", worker.Token);
            sync.Headers.Add("Cookie", $"{ApiKeyCookie.CookieName}={keys[i % keys.Length]}");
            using var answer = await http.SendAsync(sync);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"managed heap after a full collection: {heapBefore / 1048576.0:0.0} MiB before {Syncs:N0} syncs with a cookie, {heapAfter / 1048576.0:0.0} MiB after"));
        // The keys within the cookie's length limit were checked once per sync; the oversized one never reached the check.
        Assert.Equal(checkable, factory.Keys.Checked);
        // The operator's key in a cookie gave the sync nothing of the operator's: the worker API still wants the token.
        using var tokenless = new HttpRequestMessage(HttpMethod.Post, Routes.WorkerSync)
        {
            Content = JsonContent.Create(new SyncRequest(), options: ProtocolJson.Options),
        };
        tokenless.Headers.Add("Cookie", $"{ApiKeyCookie.CookieName}={CoordinatorFactory.ApiKey}");
        using var refused = await http.SendAsync(tokenless);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}

/// <summary>A coordinator whose dashboard counts the API keys its cookie handler checks; each worker may sync as often as it likes.</summary>
public sealed class CountingDashboardKeysCoordinatorFactory : CoordinatorFactory
{
    public CountingDashboardKeysCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:SyncsPerWorkerPerSecond"] = "100000" })
    {
    }

    public CountingDashboardKeys Keys { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IDashboardKeys>(sp =>
            Keys = new CountingDashboardKeys(sp.GetRequiredService<ApiKeys>()))));
    }
}

/// <summary>The coordinator's own check of an API key, counted.</summary>
public sealed class CountingDashboardKeys(ApiKeys keys) : IDashboardKeys
{
    private int _checked;

    public int Checked => Volatile.Read(ref _checked);

    public Task<bool> IsValidAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _checked);
        return keys.IsValidAsync(key, cancellationToken);
    }
}

using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Flagged hosts as operators list them (API key): most recently flagged first, a page at a time. One test writes
/// flags; the others only ask bad questions.
/// </summary>
public sealed class FlaggedHostsApiTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>, IDisposable
{
    private const string FlaggedPath = "/" + Routes.Hosts + "?flagged=true";

    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly HttpClient _jobs = factory.CreateJobsClient();
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task Flagged_hosts_are_listed_newest_first_with_their_hosts_a_page_at_a_time_by_next_links()
    {
        var cores = new Dictionary<Guid, int>();
        async Task<AccountHost> AttachAsync(string name, string address, int hostCores)
        {
            var host = Own(await AccountHost.AttachAsync(factory, name, address, accountKey: null, hostCores));
            cores[host.Id] = hostCores;
            return host;
        }
        var fast = await AttachAsync("suspiciously fast", "198.20.0.1", 2);
        var faster = await AttachAsync("faster still", "198.20.0.2", 1);
        var fastest = await AttachAsync("fastest", "198.20.0.3", 4);
        HostFlagRecord[] flags =
        [
            Flag(fast, "primes", Now, 400, 60),
            Flag(faster, "primes", Now.AddMinutes(1), 300, 30),
            Flag(fast, "mersenne", Now.AddMinutes(1), 50, 6),
            Flag(fastest, "primes", Now.AddMinutes(2), 900, 120),
        ];
        await WriteAsync(flags);
        var hosts = new[] { fast, faster, fastest }.ToDictionary(h => h.Id);
        var expected = flags.OrderByDescending(f => f.FlaggedAt)
            .ThenBy(f => f.WorkerId.ToString(), StringComparer.Ordinal).ThenBy(f => f.App, StringComparer.Ordinal)
            .Select(f => new FlaggedHost(f.WorkerId, hosts[f.WorkerId].AccountId, hosts[f.WorkerId].Name, cores[f.WorkerId],
                f.App, f.FlaggedAt, f.ResultsPerHour, f.CapacityPerHour, f.Reason));

        var walked = new List<FlaggedHost>();
        var pages = new List<int>();
        var next = FlaggedPath + "&limit=2";
        while (next is not null)
        {
            Assert.True(pages.Count < flags.Length, "The next links do not end.");
            using var response = await _jobs.GetAsync(next);
            await Api.AssertStatusAsync(response, HttpStatusCode.OK);
            var page = (await response.Content.ReadFromJsonAsync<List<FlaggedHost>>(ProtocolJson.Options))!;
            pages.Add(page.Count);
            walked.AddRange(page);
            next = response.Headers.TryGetValues("Link", out var links) ? Assert.Single(links).Split(';')[0].Trim('<', '>', ' ') : null;
        }

        Assert.Equal(expected, walked);
        // A full last page links to one more, which is empty and links nowhere.
        Assert.Equal([2, 2, 0], pages);
    }

    [Theory]
    [InlineData("", "flagged=true")]
    [InlineData("?flagged=false", "flagged=true")]
    [InlineData("?flagged=yes", "flagged=true")]
    [InlineData("?flagged=true&limit=0", "'limit' must be between 1 and 1000")]
    [InlineData("?flagged=true&limit=1001", "'limit' must be between 1 and 1000")]
    [InlineData("?flagged=true&after=not-a-cursor", "'after' must be a worker id and an app")]
    [InlineData("?flagged=true&after=00000000-0000-0000-0000-000000000001", "'after' must be a worker id and an app")]
    [InlineData("?flagged=true&after=00000000-0000-0000-0000-000000000001:primes", "'after' names no flag")]
    public async Task A_bad_question_is_400_naming_what_is_wrong(string query, string detail)
    {
        using var response = await _jobs.GetAsync("/" + Routes.Hosts + query);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-api-key")]
    public async Task Without_the_api_key_it_is_401(string? apiKey)
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, FlaggedPath);
        if (apiKey is not null)
        {
            request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        }

        using var response = await client.SendAsync(request);

        await Api.AssertStatusAsync(response, HttpStatusCode.Unauthorized);
    }

    public void Dispose()
    {
        _owned.ForEach(o => o.Dispose());
        _jobs.Dispose();
    }

    private static HostFlagRecord Flag(AccountHost host, string app, DateTimeOffset at, double resultsPerHour, double capacityPerHour) =>
        new(host.Id, app, at, resultsPerHour, capacityPerHour, $"{resultsPerHour} valid results of {app} in an hour; its cores compute {capacityPerHour}");

    private Task WriteAsync(params HostFlagRecord[] flags)
    {
        var batch = new WorkBatch();
        batch.HostFlags.AddRange(flags);
        return factory.Services.GetRequiredService<IWorkStore>().CommitAsync(batch);
    }

    private AccountHost Own(AccountHost host)
    {
        _owned.Add(host);
        return host;
    }
}

/// <summary>A host's record with each app, as operators see it in the host's status (API key).</summary>
public sealed class HostReliabilityApiTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>, IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly HttpClient _jobs = factory.CreateJobsClient();

    [Fact]
    public async Task Host_status_shows_its_record_with_each_app_and_whether_it_is_flagged_for_it()
    {
        using var host = await AccountHost.AttachAsync(factory, "cruncher", "198.21.0.1", accountKey: null);
        var batch = new WorkBatch();
        batch.Reliability.AddRange(
        [
            new HostReliabilityRecord(host.Id, "primes", new HostTally(6, 0, 1, 0, 6, 180, 7), Now),
            new HostReliabilityRecord(host.Id, "primes", new HostTally(2, 1, 0, 0, 2, 60, 3), Now.AddMinutes(1)),
            new HostReliabilityRecord(host.Id, "mersenne", new HostTally(0, 0, 2, 1, 0, 0, 0), Now),
        ]);
        batch.HostFlags.Add(new HostFlagRecord(host.Id, "primes", Now.AddMinutes(2), 400, 60, "too fast"));
        await factory.Services.GetRequiredService<IWorkStore>().CommitAsync(batch);

        var status = await host.StatusAsync(_jobs);

        Assert.Equal(
            [
                new HostAppReliability("mersenne", 0, 0, 2, 1, 0, 2.0 / 3, 1.0 / 3, null, false),
                // The invalid result restarted its run: two valid since. 24 s on average over 10 reports.
                new HostAppReliability("primes", 8, 1, 1, 0, 2, 0.1, 0, 24, true),
            ],
            status.Reliability);
    }

    public void Dispose() => _jobs.Dispose();
}

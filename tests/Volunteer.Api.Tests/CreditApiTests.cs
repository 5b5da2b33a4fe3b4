using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// The public account view: an account's name, credit and hosts, never its email or key. Credit is written straight
/// through the store as validation writes it, for hosts attached over the API.
/// </summary>
public sealed class AccountViewApiTests(SetClockCoordinatorFactory factory)
    : CreditScenario(AccountHost.ClientFrom(factory, NextAddress())), IClassFixture<SetClockCoordinatorFactory>
{
    [Fact]
    public async Task An_account_shows_its_credit_and_its_hosts_oldest_first_and_no_email_or_key()
    {
        var start = factory.Clock.Now = SetClockCoordinatorFactory.Start;
        using var signUp = await Client.PostAsync(AccountHost.AccountsPath, Api.Json("""{"name":"Ada","email":"ada@example.org"}"""));
        await Api.AssertStatusAsync(signUp, HttpStatusCode.Created);
        var ada = (await signUp.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options))!;
        var engine = Own(await AccountHost.AttachAsync(factory, "analytical engine", NextAddress(), ada.AccountKey, cores: 8));
        factory.Clock.Now = start.AddMinutes(1);
        var loom = Own(await AccountHost.AttachAsync(factory, "jacquard loom", NextAddress(), ada.AccountKey, cores: 2));
        factory.Clock.Now = start.AddMinutes(2);
        var idle = Own(await AccountHost.AttachAsync(factory, "idle", NextAddress(), ada.AccountKey, cores: 1));
        var stranger = Own(await AccountHost.AttachAsync(factory, "stranger", NextAddress(), accountKey: null));
        var grant = Ledger.Line(ada.AccountId, engine.Id, 5, week: 47, start.AddHours(1));
        CreditEntryRecord[] lines =
        [
            Ledger.Line(ada.AccountId, engine.Id, 10, week: 46, start.AddHours(1)),
            grant,
            Ledger.Line(ada.AccountId, loom.Id, 2.5, week: 47, start.AddHours(2)),
            grant with { Id = Guid.NewGuid(), Amount = -grant.Amount, At = start.AddHours(3) },
            Ledger.Line(stranger.AccountId, stranger.Id, 100, week: 47, start.AddHours(1)),
        ];
        await Ledger.WriteAsync(factory, lines);
        var now = factory.Clock.Now = start.AddDays(3);

        using var response = await Client.GetAsync("/" + Routes.Account(ada.AccountId));

        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        var json = await response.Content.ReadAsStringAsync();
        var view = JsonSerializer.Deserialize<AccountView>(json, ProtocolJson.Options)!;
        Assert.Equal((ada.AccountId, "Ada", start), (view.Id, view.Name, view.CreatedAt));
        Assert.Equal(Ledger.SummaryOf(lines.Where(l => l.AccountId == ada.AccountId), now), view.Credit);
        Assert.Equal(new CreditSummary(12.5, CreditDecay.RecentAverage(10 * Math.Pow(2, 46) + 2.5 * Math.Pow(2, 47), now), 2), view.Credit);
        Assert.Equal(
            [
                new AccountHostView(engine.Id, "analytical engine", 8, start, Ledger.SummaryOf(lines.Where(l => l.WorkerId == engine.Id), now)),
                new AccountHostView(loom.Id, "jacquard loom", 2, start.AddMinutes(1), Ledger.SummaryOf(lines.Where(l => l.WorkerId == loom.Id), now)),
                new AccountHostView(idle.Id, "idle", 1, start.AddMinutes(2), new CreditSummary(0, 0, 0)),
            ],
            view.Hosts);
        // Public: nothing that reaches or authenticates the volunteer.
        using var document = JsonDocument.Parse(json);
        Assert.Equal(["id", "name", "createdAt", "credit", "hosts"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["workerId", "name", "cores", "attachedAt", "credit"], document.RootElement.GetProperty("hosts")[0].EnumerateObject().Select(p => p.Name));
        var stored = (await factory.Store.FindAccountAsync(ada.AccountId))!;
        Assert.DoesNotContain("ada@example.org", json, StringComparison.Ordinal);
        Assert.DoesNotContain(stored.KeyHash, json, StringComparison.Ordinal);
        Assert.DoesNotContain(ada.AccountKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain((await factory.Store.FindWorkerAsync(engine.Id))!.TokenHash, json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_recent_average_decays_with_a_one_week_half_life_while_the_total_stays()
    {
        var start = factory.Clock.Now = SetClockCoordinatorFactory.Start;
        var account = await VolunteerAccount.SignUpAsync(factory, "Grace", NextAddress());
        var host = Own(await AccountHost.AttachAsync(factory, "harvard mark i", NextAddress(), account.Key));
        await Ledger.WriteAsync(factory, Ledger.Line(account.Id, host.Id, 64, week: 47, start));

        var now = await GetAsync(account.Id);
        factory.Clock.Now = start.AddDays(7);
        var aWeekLater = await GetAsync(account.Id);

        Assert.Equal((64.0, 1L), (aWeekLater.Credit.Total, aWeekLater.Credit.ValidResults));
        Assert.Equal(now.Credit.RecentAverage / 2, aWeekLater.Credit.RecentAverage, 12);
        Assert.Equal(aWeekLater.Credit, Assert.Single(aWeekLater.Hosts).Credit);
    }

    [Fact]
    public async Task An_account_without_hosts_or_credit_shows_none()
    {
        var account = await VolunteerAccount.SignUpAsync(factory, "Newcomer", NextAddress());

        var view = await GetAsync(account.Id);

        Assert.Equal((new CreditSummary(0, 0, 0), 0), (view.Credit, view.Hosts.Count));
    }

    [Fact]
    public async Task An_account_never_created_is_404()
    {
        using var response = await Client.GetAsync("/" + Routes.Account(Guid.NewGuid()));

        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "no account");
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("42")]
    public async Task An_account_id_that_is_no_guid_is_400_naming_it(string id)
    {
        using var response = await Client.GetAsync($"{AccountHost.AccountsPath}/{id}");

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, $"'{id}'", "not an account id");
    }

    private async Task<AccountView> GetAsync(Guid accountId)
    {
        using var response = await Client.GetAsync("/" + Routes.Account(accountId));
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<AccountView>(ProtocolJson.Options))!;
    }
}

/// <summary>
/// The public leaderboard: accounts or hosts by total or recent average credit, a page at a time. One test writes the
/// board; the others only ask bad questions of it.
/// </summary>
public sealed class LeaderboardApiTests(SetClockCoordinatorFactory factory)
    : CreditScenario(factory.CreateClient()), IClassFixture<SetClockCoordinatorFactory>
{
    [Fact]
    public async Task Accounts_and_hosts_are_ranked_by_total_or_recent_average_a_page_at_a_time()
    {
        var start = factory.Clock.Now = SetClockCoordinatorFactory.Start;
        var ada = await VolunteerAccount.SignUpAsync(factory, "Ada", NextAddress());
        var bob = await VolunteerAccount.SignUpAsync(factory, "Bob", NextAddress());
        var cy = await VolunteerAccount.SignUpAsync(factory, "Cy", NextAddress());
        var dee = await VolunteerAccount.SignUpAsync(factory, "Dee", NextAddress());
        var engine = Own(await AccountHost.AttachAsync(factory, "analytical engine", NextAddress(), ada.Key));
        var laptop = Own(await AccountHost.AttachAsync(factory, "laptop", NextAddress(), bob.Key));
        var desktop = Own(await AccountHost.AttachAsync(factory, "desktop", NextAddress(), bob.Key));
        var box = Own(await AccountHost.AttachAsync(factory, "cy's box", NextAddress(), cy.Key));
        var tower = Own(await AccountHost.AttachAsync(factory, "dee's tower", NextAddress(), dee.Key));
        // Ada earned most, long ago; Bob and Cy less, lately (a tie on both orders, which their ids break); Dee in between.
        CreditEntryRecord[] lines =
        [
            Ledger.Line(ada.Id, engine.Id, 300, week: 40, start),
            Ledger.Line(bob.Id, laptop.Id, 60, week: 47, start),
            Ledger.Line(bob.Id, desktop.Id, 40, week: 47, start),
            Ledger.Line(cy.Id, box.Id, 100, week: 47, start),
            Ledger.Line(dee.Id, tower.Id, 50, week: 46, start),
        ];
        await Ledger.WriteAsync(factory, lines);
        var now = factory.Clock.Now = start.AddHours(5);
        var (first, second) = string.CompareOrdinal(bob.Id.ToString(), cy.Id.ToString()) < 0 ? (bob, cy) : (cy, bob);
        LeaderboardEntry Account(int rank, VolunteerAccount account) => Entry(rank, account.Id, account.Name, lines.Where(l => l.AccountId == account.Id), now);
        LeaderboardEntry Host(int rank, AccountHost host) => Entry(rank, host.Id, host.Name, lines.Where(l => l.WorkerId == host.Id), now);

        var byTotal = await GetAsync("");
        var byRecentAverage = await GetAsync("?order=recent");
        var hostsByTotal = await GetAsync("?by=host&order=total&offset=1&limit=2");
        var hostsByRecentAverage = await GetAsync("?by=HOST&order=Recent&limit=100");
        var pastTheEnd = await GetAsync("?offset=4&limit=10");

        Assert.Equal(("account", "total", 0, 50), (byTotal.By, byTotal.Order, byTotal.Offset, byTotal.Limit));
        Assert.Equal([Account(1, ada), Account(2, first), Account(3, second), Account(4, dee)], byTotal.Entries);
        Assert.Equal(new LeaderboardEntry(1, ada.Id, "Ada", 300, CreditDecay.RecentAverage(300 * Math.Pow(2, 40), now), 1), byTotal.Entries[0]);
        Assert.Equal(("account", "recent"), (byRecentAverage.By, byRecentAverage.Order));
        Assert.Equal([Account(1, first), Account(2, second), Account(3, dee), Account(4, ada)], byRecentAverage.Entries);
        Assert.Equal(("host", "total", 1, 2), (hostsByTotal.By, hostsByTotal.Order, hostsByTotal.Offset, hostsByTotal.Limit));
        Assert.Equal([Host(2, box), Host(3, laptop)], hostsByTotal.Entries);
        Assert.Equal(("host", "recent"), (hostsByRecentAverage.By, hostsByRecentAverage.Order));
        Assert.Equal([Host(1, box), Host(2, laptop), Host(3, desktop), Host(4, tower), Host(5, engine)], hostsByRecentAverage.Entries);
        Assert.Empty(pastTheEnd.Entries);
    }

    [Theory]
    [InlineData("?by=team", "'by' must be one of account, host")]
    [InlineData("?by=", "'by' must be one of account, host")]
    [InlineData("?order=best", "'order' must be one of total, recent")]
    [InlineData("?order=recentAverage", "'order' must be one of total, recent")]
    [InlineData("?offset=-1", "'offset' must be 0 or more")]
    [InlineData("?limit=0", "'limit' must be between 1 and 100")]
    [InlineData("?limit=101", "'limit' must be between 1 and 100")]
    [InlineData("?limit=-3", "'limit' must be between 1 and 100")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?offset=1.5", "offset")]
    public async Task A_bad_question_is_400_naming_the_parameter(string query, string detail)
    {
        using var response = await Client.GetAsync("/" + Routes.Leaderboard + query);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    private static LeaderboardEntry Entry(int rank, Guid id, string name, IEnumerable<CreditEntryRecord> lines, DateTimeOffset now)
    {
        var credit = Ledger.SummaryOf(lines, now);
        return new LeaderboardEntry(rank, id, name, credit.Total, credit.RecentAverage, credit.ValidResults);
    }

    /// <summary>The leaderboard asked without an API key: it is public.</summary>
    private async Task<Leaderboard> GetAsync(string query)
    {
        using var response = await Client.GetAsync("/" + Routes.Leaderboard + query);
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<Leaderboard>(ProtocolJson.Options))!;
    }
}

/// <summary>What the credit tests share: a client, the hosts a test attached (disposed after it), and addresses of their own.</summary>
public abstract class CreditScenario(HttpClient client) : IDisposable
{
    private static int _nextAddress;

    private readonly List<IDisposable> _owned = [];

    private protected HttpClient Client { get; } = client;

    public void Dispose()
    {
        _owned.ForEach(o => o.Dispose());
        Client.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected static string NextAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return $"198.19.{n / 250}.{n % 250 + 1}";
    }

    private protected AccountHost Own(AccountHost host)
    {
        _owned.Add(host);
        return host;
    }
}

/// <summary>Credit ledger lines as validation writes them, straight through the store, and what the API must make of them.</summary>
internal static class Ledger
{
    /// <summary>
    /// A line of credit earned <paramref name="week"/> weeks after <see cref="CreditDecay.Origin"/>: weighted by exactly
    /// 2^week, so that sums of such lines are exact in any order and the API's figures can be checked to the last bit.
    /// </summary>
    public static CreditEntryRecord Line(Guid account, Guid host, double amount, int week, DateTimeOffset at) =>
        new(Guid.NewGuid(), account, host, Guid.NewGuid(), 0, 0, amount, CreditDecay.Origin + week * CreditDecay.HalfLife, at);

    public static Task WriteAsync(CoordinatorFactory factory, params CreditEntryRecord[] lines)
    {
        var batch = new WorkBatch();
        batch.Credits.AddRange(lines);
        return factory.Services.GetRequiredService<IWorkStore>().CommitAsync(batch);
    }

    /// <summary>The credit <paramref name="lines"/> add up to, as of <paramref name="now"/>.</summary>
    public static CreditSummary SummaryOf(IEnumerable<CreditEntryRecord> lines, DateTimeOffset now)
    {
        var all = lines.ToList();
        return new CreditSummary(
            all.Sum(l => l.Amount),
            CreditDecay.RecentAverage(all.Sum(l => l.Amount * CreditDecay.Weight(l.EarnedAt)), now),
            all.Sum(l => Math.Sign(l.Amount)));
    }
}

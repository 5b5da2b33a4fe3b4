using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Dashboard.Access;
using Volunteer.Dashboard.Data.Cluster;
using Volunteer.Dashboard.Data.Volunteers;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// The dashboard's volunteer and cluster pages on the real coordinator: their data as the silo computes it, and the
/// pages as a browser first receives them (rendered on the server).
/// </summary>
public sealed class DashboardVolunteersAndClusterTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>
{
    [Fact]
    public async Task The_cluster_data_reports_this_silo_active_with_its_load_and_the_store()
    {
        _ = factory.Server;
        var data = factory.Services.GetRequiredService<IClusterData>();

        var snapshot = await Eventually.WaitAsync("this silo reported active with its runtime statistics", async () =>
        {
            var s = await data.GetSnapshotAsync(CancellationToken.None);
            return s.Silos.SingleOrDefault(silo => silo.IsThisSilo) is { Status: "Active", Runtime: not null } ? s : null;
        }, () => "", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

        var thisSilo = snapshot.Silos.Single(s => s.IsThisSilo);
        Assert.Equal(snapshot.ThisSilo, thisSilo.Address);
        Assert.True(thisSilo.Runtime!.Activations > 0, "the management grain itself is one activation");
        Assert.True(thisSilo.Runtime.MaximumMemoryBytes > 0);
        Assert.Contains(snapshot.Grains, g => g.Activations > 0);
        Assert.Equal("SQLite (embedded)", snapshot.Store.Kind);
        Assert.NotNull(snapshot.Store.RoundTrip);
        Assert.Null(snapshot.Store.Error);
        Assert.True(snapshot.Process.WorkingSetBytes > 0 && snapshot.Process.ThreadPoolThreads > 0);
        // Measured once per interval: a second viewer gets the same snapshot.
        Assert.Same(await data.GetSnapshotAsync(CancellationToken.None), await data.GetSnapshotAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_volunteers_page_adds_up_their_ledger_and_a_board_page_is_shared()
    {
        var (account, host) = await AccountWithHostAsync("Grace");
        var now = DateTimeOffset.UtcNow;
        await factory.Store.CommitAsync(Credit(account, host, (4, now.AddHours(-2)), (2, now.AddMinutes(-1)), (-1, now.AddMinutes(-1))));
        var data = factory.Services.GetRequiredService<IVolunteersData>();

        var details = (await data.GetVolunteerAsync(account.Id, CancellationToken.None))!;

        Assert.Equal("Grace", details.Account.Name);
        Assert.Equal(["laptop"], details.Account.Hosts.Select(h => h.Name));
        Assert.True(details.History.Window.Hourly);
        Assert.Equal(5, details.History.Buckets.Sum(b => b.Amount));
        Assert.Equal(0, details.History.CreditBefore);
        Assert.Equal([-1, 2, 4], details.RecentCredit.Select(l => l.Amount).Order());
        Assert.All(details.RecentCredit, l => Assert.Equal("laptop", l.HostName));
        Assert.Null(await data.GetVolunteerAsync(Guid.NewGuid(), CancellationToken.None));

        var page = new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 0);
        var board = await data.GetLeaderboardAsync(page, CancellationToken.None);
        Assert.Contains(board.Entries, e => e.Id == account.Id && e.Name == "Grace" && e.Total == 5 && e.ValidResults == 1);
        Assert.Same(board, await data.GetLeaderboardAsync(page with { }, CancellationToken.None));
    }

    [Fact]
    public async Task The_volunteer_pages_render_on_the_server_and_a_missing_volunteer_is_404()
    {
        var (account, _) = await AccountWithHostAsync("Ada <b>Lovelace</b>");
        using var client = factory.CreateClient();

        var board = await client.GetAsync("/volunteers");
        var volunteer = await client.GetAsync($"/volunteers/{account.Id}");
        var unknown = await client.GetAsync($"/volunteers/{Guid.NewGuid()}");
        var malformed = await client.GetAsync("/volunteers/not-an-id");

        Assert.Equal(HttpStatusCode.OK, board.StatusCode);
        Assert.Contains("<table aria-label=\"Leaderboard\"", await board.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, volunteer.StatusCode);
        var page = await volunteer.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Ada &lt;b&gt;Lovelace&lt;/b&gt;</h1>", page);
        Assert.DoesNotContain("@example.org", page);
        Assert.True(page.Contains("aria-label=\"Credit over time: "), page);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No such volunteer", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Contains("not-an-id", await malformed.Content.ReadAsStringAsync());
        Assert.Contains("No such volunteer", await malformed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_cluster_page_needs_the_api_key_and_lists_the_silos()
    {
        using var anonymous = factory.CreateClient(new() { AllowAutoRedirect = false });
        using var signedIn = factory.CreateClient();
        signedIn.DefaultRequestHeaders.Add("Cookie", $"{ApiKeyCookie.CookieName}={CoordinatorFactory.ApiKey}");

        var refused = await anonymous.GetAsync("/cluster");
        var shown = await signedIn.GetAsync("/cluster");

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/login", refused.Headers.Location?.OriginalString.Replace("http://localhost", ""));
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        var page = await shown.Content.ReadAsStringAsync();
        Assert.Contains("<table aria-label=\"Silos\"", page);
        Assert.Contains("data-silo-status=\"Active\"", page);
        Assert.Contains("SQLite (embedded)", page);
    }

    private async Task<(AccountRecord Account, WorkerRecord Host)> AccountWithHostAsync(string name)
    {
        var now = DateTimeOffset.UtcNow;
        var account = new AccountRecord(Guid.NewGuid(), name, "someone@example.org", "hash-" + Guid.NewGuid(), AccountOrigin.SignedUp, now);
        var host = new WorkerRecord(Guid.NewGuid(), account.Id, "laptop", "hash-" + Guid.NewGuid(), "key-" + Guid.NewGuid(), 4, now);
        var batch = new WorkBatch();
        batch.Accounts.Add(account);
        batch.Workers.Add(host);
        await factory.Store.CommitAsync(batch);
        return (account, host);
    }

    private static WorkBatch Credit(AccountRecord account, WorkerRecord host, params (double Amount, DateTimeOffset At)[] lines)
    {
        var batch = new WorkBatch();
        batch.Credits.AddRange(lines.Select((l, i) =>
            new CreditEntryRecord(Guid.NewGuid(), account.Id, host.Id, Guid.NewGuid(), i, 1, l.Amount, l.At, l.At)));
        return batch;
    }
}

using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Components.Volunteers;
using Volunteer.Dashboard.Data.Volunteers;
using Volunteer.Dashboard.Pages.Volunteers;

namespace Volunteer.Dashboard.Tests.Volunteers;

public sealed class LeaderboardTests : IDisposable
{
    private readonly BunitContext _context = new();
    private readonly FakeVolunteersData _data = new();

    public LeaderboardTests()
    {
        _context.Services.AddSingleton<IVolunteersData>(_data);
        _context.Services.AddSingleton(TimeProvider.System);
        // As the page renders on the server before it goes live: no timer starts.
        _context.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
    }

    [Fact]
    public void Accounts_are_ranked_with_their_credit_and_link_to_their_page()
    {
        var ada = Guid.NewGuid();
        _data.Ranked.AddRange([(ada, "Ada <script>"), (Guid.NewGuid(), "Bob")]);

        var table = Render(new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 0));

        var rows = table.FindAll("table[aria-label='Leaderboard'] tbody tr");
        Assert.Equal(2, rows.Count);
        var cells = rows[0].QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["1", "Ada <script>", "1,000.00", "10.50", "100"], cells);
        Assert.Equal($"/volunteers/{ada}", rows[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("descending", table.Find("th[aria-sort]").GetAttribute("aria-sort"));
        Assert.Contains("Total credit", table.Find("th[aria-sort]").TextContent);
    }

    [Fact]
    public void Hosts_are_ranked_by_name_without_a_link()
    {
        _data.Ranked.Add((Guid.NewGuid(), "laptop"));

        var table = Render(new LeaderboardPage(LeaderboardHolders.Hosts, LeaderboardOrder.RecentAverage, 0));

        Assert.Equal("Host", table.FindAll("th")[1].TextContent);
        Assert.Empty(table.FindAll("tbody a"));
        Assert.Contains("Recent average", table.Find("th[aria-sort]").TextContent);
    }

    [Fact]
    public void A_full_page_links_to_the_next_and_a_later_page_to_the_previous()
    {
        _data.Ranked.AddRange(Enumerable.Range(0, 120).Select(i => (Guid.NewGuid(), $"volunteer {i}")));

        var first = Render(new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 0));
        var third = Render(new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 100));

        Assert.Equal(50, first.FindAll("tbody tr").Count);
        Assert.Equal("/board?page=2", first.Find("nav.pager a.button").GetAttribute("href"));
        Assert.Equal("Next page", first.Find("nav.pager a.button").TextContent);
        Assert.Equal("true", first.Find("nav.pager span.button").GetAttribute("aria-disabled"));
        // The last page: 20 ranks, 101 to 120, and nothing after them.
        Assert.Equal(["101", "120"], [third.FindAll("tbody tr td:first-child")[0].TextContent, third.FindAll("tbody tr td:first-child")[^1].TextContent]);
        Assert.Equal("/board?page=2", third.Find("nav.pager a.button").GetAttribute("href"));
        Assert.Equal("Next page", third.Find("nav.pager span.button").TextContent);
    }

    [Fact]
    public void An_empty_board_says_why()
    {
        var table = Render(new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 0));

        Assert.Empty(table.FindAll("tbody tr"));
        Assert.Contains("No credit yet", table.Markup);
    }

    [Fact]
    public void The_page_reads_its_view_order_and_page_from_the_address_and_marks_the_current_toggles()
    {
        _data.Ranked.AddRange(Enumerable.Range(0, 60).Select(i => (Guid.NewGuid(), $"host {i}")));
        _context.Services.GetRequiredService<NavigationManager>().NavigateTo("/volunteers?by=hosts&order=recent&page=2");

        var page = _context.Render<VolunteersPage>();

        Assert.Equal(new LeaderboardPage(LeaderboardHolders.Hosts, LeaderboardOrder.RecentAverage, 50), _data.PagesAsked[^1]);
        Assert.Equal(["Hosts", "Recent average"], page.FindAll("a[aria-current='true']").Select(a => a.TextContent));
        Assert.Equal("/volunteers?order=recent", page.Find("a[href^='/volunteers']:not([aria-current])").GetAttribute("href"));
        Assert.Empty(page.FindAll("[role='alert']"));
    }

    [Fact]
    public void A_view_order_or_page_that_does_not_exist_is_named_and_the_first_page_shown()
    {
        _context.Services.GetRequiredService<NavigationManager>().NavigateTo("/volunteers?by=teams&order=best&page=-3");

        var page = _context.Render<VolunteersPage>();

        var problems = page.FindAll("[role='alert']").Select(p => p.TextContent).ToList();
        Assert.Equal(3, problems.Count);
        Assert.Contains("\"teams\"", problems[0]);
        Assert.Contains("\"best\"", problems[1]);
        Assert.Contains("\"-3\"", problems[2]);
        Assert.Equal(new LeaderboardPage(LeaderboardHolders.Accounts, LeaderboardOrder.Total, 0), _data.PagesAsked[^1]);
        Assert.NotNull(page.Find("table[aria-label='Leaderboard']"));
    }

    private IRenderedComponent<LeaderboardTable> Render(LeaderboardPage page) =>
        _context.Render<LeaderboardTable>(p => p
            .Add(t => t.Page, page)
            .Add(t => t.PageHref, n => $"/board?page={n}"));

    public void Dispose() => _context.Dispose();
}

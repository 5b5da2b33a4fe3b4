using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Dashboard.Components.Hosts;
using Volunteer.Dashboard.Data.Hosts;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests;

public sealed class HostsTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Hosts_are_listed_a_page_at_a_time_with_whether_they_are_online()
    {
        var hosts = new PagedHosts(Enumerable.Range(0, HostsTable.PageSize + 3).Select(i => Row($"host-{i}", online: i % 2 == 0)).ToList());
        Services.AddSingleton<IHostsData>(hosts);
        Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));

        var table = RenderOnce<HostsTable>();

        var rows = table.FindAll("table[aria-label='Hosts'] tbody tr");
        Assert.Equal(HostsTable.PageSize, rows.Count);
        Assert.Contains("online", rows[0].QuerySelector("td")!.TextContent);
        Assert.DoesNotContain("online", rows[1].QuerySelector("td")!.TextContent);
        Assert.Equal("2 min ago", rows[0].QuerySelector("time")!.TextContent);
        Assert.Equal("3", rows[0].QuerySelectorAll("td")[4].TextContent);
        Assert.Equal("—", rows[1].QuerySelectorAll("td")[4].TextContent);

        table.Find("button:contains('Next page')").Click();

        Assert.Equal(["host-50", "host-51", "host-52"], table.FindAll("tbody tr").Select(r => r.QuerySelector("td")!.ChildNodes[0].TextContent.Trim()));
        Assert.True(table.Find("button:contains('Next page')").HasAttribute("disabled"));
        table.Find("button:contains('Previous page')").Click();
        Assert.Equal(HostsTable.PageSize, table.FindAll("tbody tr").Count);
    }

    [Fact]
    public void Flagged_hosts_are_listed_with_the_reason()
    {
        Services.AddSingleton<IHostsData>(new PagedHosts([], [new FlaggedHost(Guid.NewGuid(), Guid.NewGuid(), "fast-liar", 2, "primes", Now, 400, 40,
            "Returned 400 valid results in an hour; its 2 cores could compute 40.")]));

        var table = RenderOnce<FlaggedHostsTable>();

        var row = table.Find("table[aria-label='Flagged hosts'] tbody tr");
        Assert.Contains("fast-liar", row.TextContent);
        Assert.Contains("its 2 cores could compute 40", row.TextContent);
    }

    private static HostRow Row(string name, bool online) => new(Guid.NewGuid(), name, Guid.NewGuid(), "alice", 4, Now.AddMinutes(-2), online,
        10, 0, 1, 0, 10, 1.0 / 11, online ? 3 : null, false);

    /// <summary>Pages through fixed rows as the store would, by position.</summary>
    /// <summary>Rendered once, as a prerender would: no refresh timer runs during the test (services are all added by then).</summary>
    private IRenderedComponent<TComponent> RenderOnce<TComponent>() where TComponent : IComponent
    {
        Renderer.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        return Render<TComponent>();
    }

    private sealed class PagedHosts(IReadOnlyList<HostRow> hosts, IReadOnlyList<FlaggedHost>? flagged = null) : IHostsData
    {
        public Task<HostsPage> ListHostsAsync(int limit, HostsCursor? after, CancellationToken cancellationToken)
        {
            var start = after is null ? 0 : hosts.ToList().FindIndex(h => h.WorkerId == after.WorkerId) + 1;
            var page = hosts.Skip(start).Take(limit).ToList();
            var next = page.Count == limit && start + limit < hosts.Count ? new HostsCursor(Now, page[^1].WorkerId) : null;
            return Task.FromResult(new HostsPage(page, next));
        }

        public Task<IReadOnlyList<FlaggedHost>> ListFlaggedAsync(int limit, FlaggedHost? after, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<FlaggedHost>>(after is null ? flagged ?? [] : []);
    }
}

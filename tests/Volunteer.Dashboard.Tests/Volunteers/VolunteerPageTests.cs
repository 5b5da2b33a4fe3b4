using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Data.Volunteers;
using Volunteer.Dashboard.Pages.Volunteers;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests.Volunteers;

public sealed class VolunteerPageTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 20, 0, TimeSpan.Zero);

    private readonly BunitContext _context = new();
    private readonly FakeVolunteersData _data = new();

    public VolunteerPageTests()
    {
        _context.Services.AddSingleton<IVolunteersData>(_data);
        _context.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void A_volunteer_is_shown_with_credit_hosts_chart_and_recent_results()
    {
        var (id, laptop, gone) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var job = Guid.Parse("3f2a8c4e-0000-4000-8000-000000000001");
        var window = CreditWindow.For(Now.AddDays(-10), Now);
        _data.Volunteers[id] = new VolunteerDetails(
            new AccountView(id, "Ada", Now.AddDays(-10), new CreditSummary(1234.5, 12.25, 40),
                [new AccountHostView(laptop, "laptop", 8, Now.AddDays(-9), new CreditSummary(1000, 10, 30))]),
            new CreditHistory(window, 1200, [new CreditBucket(window.From.AddDays(9), 34.5, 3)], Now),
            [
                new CreditLine(Now.AddMinutes(-1), laptop, "laptop", job, 17, 1.5),
                new CreditLine(Now.AddMinutes(-2), gone, null, job, 16, -1.5),
            ],
            MaxHostsShown: 100);

        var page = _context.Render<VolunteerPage>(p => p.Add(v => v.AccountId, id.ToString()));

        Assert.Equal("Ada", page.Find("h1").TextContent);
        Assert.Equal("1,234.50", page.Find("[data-figure='total-credit'] dd").TextContent);
        Assert.Equal("2026-11-15", page.Find("[data-figure='joined'] dd").TextContent);
        Assert.Equal("laptop", page.Find("table[aria-label='Hosts of this volunteer'] tbody td").TextContent);
        var chart = page.Find("[role='img']");
        Assert.StartsWith("Credit over time: Ada's total credit, day by day in the last 11 days (UTC), from 1,200.00 to 1,234.50",
            chart.GetAttribute("aria-label"));
        Assert.Contains("+34.50 credit in the last 11 days, to 1,234.50 in all.", page.Find("[data-credit-gained]").TextContent);
        var results = page.FindAll("table[aria-label='Recent results'] tbody tr");
        Assert.Equal(["laptop", "3f2a8c4e", "+1.50"], new[] { 1, 2, 4 }.Select(i => results[0].Children[i].TextContent));
        Assert.Equal(gone.ToString("N")[..8], results[1].Children[1].TextContent);
        Assert.Contains("taken back", results[1].Children[4].TextContent);
    }

    [Fact]
    public void An_id_that_is_not_a_guid_is_named()
    {
        var page = _context.Render<VolunteerPage>(p => p.Add(v => v.AccountId, "not-an-id"));

        Assert.Equal("No such volunteer", page.Find("h1").TextContent);
        Assert.Contains("\"not-an-id\" is not a volunteer's id", page.Find("[role='alert']").TextContent);
    }

    [Fact]
    public void An_unknown_volunteer_is_named()
    {
        var id = Guid.NewGuid();

        var page = _context.Render<VolunteerPage>(p => p.Add(v => v.AccountId, id.ToString()));

        Assert.Equal("No such volunteer", page.Find("h1").TextContent);
        Assert.Contains($"There is no volunteer {id}", page.Find("[role='alert']").TextContent);
    }

    public void Dispose() => _context.Dispose();
}

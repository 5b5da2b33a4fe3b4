using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Components.Overview;
using Volunteer.Dashboard.Data.Overview;

namespace Volunteer.Dashboard.Tests;

public sealed class OverviewTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public OverviewTests() => JSInterop.Mode = JSRuntimeMode.Loose;

    [Fact]
    public void Every_figure_is_shown_by_its_name()
    {
        var second = Now.ToUnixTimeSeconds();
        Services.AddSingleton<IOverviewData>(new FixedOverview(new OverviewSnapshot(
            Now,
            new HostActivity(12, 5, 96),
            new HostActivity(1_234, 321, 9_876),
            new ResultRates(second - 2, [1.0, 2.0, 42.5], 10),
            new UnitTotals(100_000, 2_500, 7_500, 1_000_000),
            3,
            new RelayBytes(CoordinatorBytes: 250_000_000, PeerBytes: 750_000_000),
            2,
            Now)));

        var overview = RenderOnce<OverviewLive>();

        Assert.Equal("12", Figure(overview, "hosts-now"));
        Assert.Equal("5", Figure(overview, "volunteers-now"));
        Assert.Equal("96", Figure(overview, "cores-now"));
        Assert.Equal("1,234", Figure(overview, "hosts-24h"));
        Assert.Equal("321", Figure(overview, "volunteers-24h"));
        Assert.Equal("42 10 s average", Figure(overview, "results-per-second"));
        Assert.Equal("100,000", Figure(overview, "units-waiting"));
        Assert.Equal("2,500", Figure(overview, "units-in-progress"));
        Assert.Equal("7,500 1,000,000 over all jobs", Figure(overview, "units-validated"));
        Assert.Equal("3", Figure(overview, "jobs-running"));
        Assert.Equal("75% of 1.0 GB", Figure(overview, "relay-share"));
        Assert.Equal("2", Figure(overview, "silos-up"));
        Assert.StartsWith("Results validated per second", overview.Find(".chart").GetAttribute("aria-label"));
        Assert.Contains("now 42.5 per second", overview.Find(".chart").GetAttribute("aria-label"));
    }

    [Fact]
    public void Figures_not_yet_known_show_a_dash()
    {
        Services.AddSingleton<IOverviewData>(new FixedOverview(new OverviewSnapshot(
            Now, null, null, ResultRates.None, new UnitTotals(0, 0, 0, 0), 0, new RelayBytes(0, 0), 1, null)));

        var overview = RenderOnce<OverviewLive>();

        Assert.Equal("—", Figure(overview, "hosts-now"));
        Assert.Equal("— 1 s average", Figure(overview, "results-per-second"));
        Assert.Equal("— of 0 B", Figure(overview, "relay-share"));
        Assert.Equal("Results validated per second over the last hour: none counted yet", overview.Find(".chart").GetAttribute("aria-label"));
    }

    private static string Figure(IRenderedComponent<OverviewLive> overview, string name) =>
        string.Join(' ', overview.Find($"[data-figure='{name}'] dd").TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Rendered once, as a prerender would: no refresh timer runs during the test (services are all added by then).</summary>
    private IRenderedComponent<TComponent> RenderOnce<TComponent>() where TComponent : IComponent
    {
        Renderer.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        return Render<TComponent>();
    }

    private sealed class FixedOverview(OverviewSnapshot snapshot) : IOverviewData
    {
        public ValueTask<OverviewSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) => ValueTask.FromResult(snapshot);
    }
}

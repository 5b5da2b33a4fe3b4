using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Data.Cluster;
using Volunteer.Dashboard.Pages.Cluster;

namespace Volunteer.Dashboard.Tests.Cluster;

public sealed class ClusterPageTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 20, 0, TimeSpan.Zero);

    private readonly BunitContext _context = new();

    [Fact]
    public void Each_silo_is_listed_with_its_status_and_load_and_a_silent_one_says_so()
    {
        var snapshot = new ClusterSnapshot(Now, "10.0.0.1:11111@1", 7,
            [
                new SiloLoad("10.0.0.1:11111@1", "silo-a", "Active", true,
                    new SiloRuntime(120, 42.5f, 300L << 20, 2L << 30, 8L << 30, false)),
                new SiloLoad("10.0.0.2:11111@1", "silo-b", "Active", false, null),
                new SiloLoad("10.0.0.3:11111@0", "silo-c", "Dead", false, null),
            ],
            [new GrainTypeLoad("JobGrain", 3), new GrainTypeLoad("HostGrain", 117)],
            new ProcessFigures(12.34, 400L << 20, 120L << 20, 3, 12, 2),
            new StoreHealth("PostgreSQL", "17.2", 64L << 20, TimeSpan.FromMilliseconds(0.42), null));
        var page = Render(snapshot);

        var rows = page.FindAll("table[aria-label='Silos'] tbody tr");
        Assert.Equal(["Active", "Active", "Dead"], rows.Select(r => r.GetAttribute("data-silo-status")));
        Assert.Equal(["120", "42.5 %", "300.0 MiB"], new[] { 3, 4, 5 }.Select(i => rows[0].Children[i].TextContent));
        Assert.Contains("this silo", rows[0].TextContent);
        Assert.Equal("did not answer in time", rows[1].Children[3].TextContent);
        Assert.Equal("not running", rows[2].Children[3].TextContent);
        Assert.Equal("2 of 3 listed", page.Find("[data-figure='silos-active'] dd").TextContent);
        Assert.Equal("0.420 ms", page.Find("[data-figure='store-latency'] dd").TextContent);
        Assert.Equal("64.0 MiB", page.Find("[data-figure='store-size'] dd").TextContent);
        Assert.Equal("12.3 % of 2 cores", page.Find("[data-figure='process-cpu-share'] dd").TextContent);
    }

    [Fact]
    public void A_store_that_does_not_answer_is_said_so()
    {
        var snapshot = new ClusterSnapshot(Now, "10.0.0.1:11111@1", 1, [], [], new ProcessFigures(0, 1, 1, 0, 1, 1),
            new StoreHealth("SQLite (embedded)", null, null, null, "no answer in 2 s"));
        var page = Render(snapshot);

        Assert.Equal("no answer", page.Find("[data-figure='store-round-trip'] dd").TextContent);
        Assert.Contains("The store did not answer: no answer in 2 s", page.Find("[role='alert']").TextContent);
    }

    private IRenderedComponent<ClusterPage> Render(ClusterSnapshot snapshot)
    {
        _context.Services.AddSingleton<IClusterData>(new FixedClusterData(snapshot));
        // As the page renders on the server before it goes live: no timer starts.
        _context.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        return _context.Render<ClusterPage>();
    }

    public void Dispose() => _context.Dispose();

    private sealed class FixedClusterData(ClusterSnapshot snapshot) : IClusterData
    {
        public Task<ClusterSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) => Task.FromResult(snapshot);
    }
}

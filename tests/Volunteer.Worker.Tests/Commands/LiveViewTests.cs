using Spectre.Console;
using Volunteer.Worker.Control;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>The live view's frame, rendered as a terminal without colour would show it.</summary>
public sealed class LiveViewTests : IDisposable
{
    private readonly TempDirectory _state = new();

    [Fact]
    public void A_frame_shows_each_unit_with_its_progress_and_the_projects_limits_and_why_paused()
    {
        AttachedWorker.Identity().Save(Worker.Storage.ProjectFolders.For(_state.Path, AttachedWorker.First));
        var agent = new GovernedAgent(_state.Path);
        agent.Pause(null);

        var frame = Render(agent.Snapshot());

        Assert.Contains("paused: paused by the owner", frame, StringComparison.Ordinal);
        Assert.Contains("limits: ", frame, StringComparison.Ordinal);
        Assert.Contains("a newer agent is out: 2.0.0", frame, StringComparison.Ordinal);
        var unit = Assert.Single(frame.Split('\n'), l => l.Contains("11111111 #3/1", StringComparison.Ordinal));
        Assert.Matches(@"primes\s+│\s+paused\s+│\s+━{24}\s+25%\s+│\s+3m 00s\s+│\s+42\.5 s", unit);
        var project = Assert.Single(frame.Split('\n'), l => l.Contains("127.0.0.1_1", StringComparison.Ordinal));
        Assert.Matches(@"127\.0\.0\.1_1\s+│\s+100\s+│\s+12\.5\s+│\s+none yet\s+│\s+2\s+│\s+0", project);
    }

    [Fact]
    public void The_bar_fills_with_the_fraction_done()
    {
        Assert.Equal("[green]━━━━━━━━━━━━[/][grey]━━━━━━━━━━━━[/]  50%", LiveView.Bar(0.5));
        Assert.Equal("[green][/][grey]━━━━━━━━━━━━━━━━━━━━━━━━[/]   0%", LiveView.Bar(-1));
    }

    public void Dispose() => _state.Dispose();

    private static string Render(AgentSnapshot snapshot)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        console.Write(LiveView.Render(snapshot));
        return writer.ToString();
    }
}

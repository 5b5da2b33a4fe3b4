using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using Volunteer.Worker.Commands;

namespace Volunteer.Worker.Control;

/// <summary>
/// What `run` shows in a terminal: the agent's units with progress bars, time to go, CPU time and phase; each
/// project's credit and last sync; the limits in force and why units are paused. Redrawn every second from
/// <see cref="IAgentControl.Snapshot"/>, while the log goes to a file in the state directory.
/// </summary>
public static class LiveView
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    /// <summary>Shows the agent in the terminal until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static Task RunAsync(IAgentControl control, CancellationToken cancellationToken) => RunAsync(control, AnsiConsole.Console, cancellationToken);

    public static async Task RunAsync(IAgentControl control, IAnsiConsole console, CancellationToken cancellationToken)
    {
        await console.Live(Render(control.Snapshot())).AutoClear(false).StartAsync(async live =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                live.UpdateTarget(Render(control.Snapshot()));
                live.Refresh();
                try
                {
                    await Task.Delay(Refresh, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>One frame of the view.</summary>
    public static IRenderable Render(AgentSnapshot agent)
    {
        var heading = new Markup(
            $"[bold]volunteer-worker {Markup.Escape(agent.Version)}[/]  process {agent.ProcessId}  {Markup.Escape(agent.StateDirectory)}  " +
            $"{agent.At.ToLocalTime():HH:mm:ss}");
        var computing = agent.PausedBecause.Count > 0
            ? new Markup($"[yellow]paused:[/] {Markup.Escape(string.Join("; ", agent.PausedBecause))}")
            : new Markup($"[green]computing[/]{(agent.Throttled ? $", throttled to {agent.Limits.CpuPercent}% of each core" : "")}");
        var limits = new Markup($"[grey]limits:[/] {Markup.Escape(StatusCommand.Limits(agent.Limits))}");
        IRenderable[] releases = [.. agent.Projects.Select(p => p.LatestAgent).OfType<Protocol.AgentRelease>().DistinctBy(r => r.Version)
            .Select(r => new Markup($"[aqua]a newer agent is out:[/] {Markup.Escape(r.Version)}, from {Markup.Escape(r.Download?.ToString() ?? "the project")}"))];
        return new Rows([heading, computing, limits, .. releases, Projects(agent), Units(agent)]);
    }

    private static Table Projects(AgentSnapshot agent)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("projects")
            .AddColumns("project", "share", "credit", "last sync", "buffered", "reports awaiting ack");
        foreach (var project in agent.Projects)
        {
            table.AddRow(
                Markup.Escape(project.Name),
                project.ResourceShare.ToString(CultureInfo.InvariantCulture),
                project.Credit is { } credit ? credit.ToString("0.##", CultureInfo.InvariantCulture) : "-",
                Markup.Escape(project.LastSync is { } sync ? $"{sync.At.ToLocalTime():HH:mm:ss} {sync.Outcome}" : "none yet"),
                project.Buffered.ToString(CultureInfo.InvariantCulture),
                project.PendingReports.ToString(CultureInfo.InvariantCulture));
        }
        return table;
    }

    private static Table Units(AgentSnapshot agent)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("units")
            .AddColumns("unit", "app", "phase", "progress", "ETA", "CPU");
        foreach (var unit in agent.Units.OrderBy(u => u.Phase == UnitPhase.Waiting))
        {
            table.AddRow(
                new Markup(Markup.Escape($"{unit.JobId.ToString()[..8]} #{unit.UnitIndex}/{unit.Replica}")),
                new Markup(Markup.Escape(unit.App)),
                new Markup(unit.Phase switch
                {
                    UnitPhase.Running => "[green]running[/]",
                    UnitPhase.Paused => "[yellow]paused[/]",
                    _ => "[grey]waiting[/]",
                }),
                new Markup(Bar(unit.FractionDone)),
                new Markup(unit.Remaining is { } remaining ? Figures.Duration(remaining) : "-"),
                new Markup(string.Create(CultureInfo.InvariantCulture, $"{unit.CpuSeconds:0.0} s")));
        }
        return table;
    }

    /// <summary>A progress bar of <see cref="Width"/> cells and the percentage.</summary>
    internal static string Bar(double fraction)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        var done = (int)Math.Round(fraction * Width);
        return $"[green]{new string('━', done)}[/][grey]{new string('━', Width - done)}[/] {Figures.Percent(fraction),4}";
    }

    private const int Width = 24;
}

/// <summary>The live view as a hosted service of the agent process, for `run` in a terminal.</summary>
public sealed class LiveViewService(IAgentControl control) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => LiveView.RunAsync(control, stoppingToken);
}

public static class LiveViewServices
{
    public static IServiceCollection AddLiveView(this IServiceCollection services) => services.AddHostedService<LiveViewService>();
}

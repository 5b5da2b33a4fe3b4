using Microsoft.JSInterop;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace Volunteer.Dashboard.Components.Shared;

/// <summary>
/// One look for every chart of the dashboard: a transparent background (the panel shows through) and an area in the
/// accent colour. The theme's colours for text, grid and hover labels come from dashboard.css (the <c>.chart</c> rules),
/// which win over the colours Plotly writes inline, so a chart follows the reader's theme switch at once, with no redraw
/// and nothing sent to or from the silo.
/// </summary>
public static class Charts
{
    /// <summary>The accent of both themes, bright enough on dark and on light.</summary>
    public const string Accent = "#5aa9ff";

    public static Plotly.Blazor.Layout Layout(string? yTitle, int height, int leftMargin = 56, bool fixedRange = false) => new()
    {
        PaperBgColor = "rgba(0,0,0,0)",
        PlotBgColor = "rgba(0,0,0,0)",
        Font = new Font { Family = "system-ui, sans-serif" },
        Height = height,
        Margin = new Margin { L = leftMargin, R = 16, T = 12, B = 40 },
        ShowLegend = false,
        XAxis = [new XAxis { Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Date, FixedRange = fixedRange }],
        YAxis =
        [
            new YAxis
            {
                RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero,
                FixedRange = fixedRange,
                Title = yTitle is null ? null : new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle },
            },
        ],
    };

    /// <summary>A filled line of the accent colour, empty until given its points.</summary>
    public static Scatter Area(string name, string? hoverTemplate = null) => new()
    {
        Name = name,
        Mode = ModeFlag.Lines,
        Fill = FillEnum.ToZeroY,
        FillColor = "rgba(90,169,255,0.15)",
        Line = new Line { Color = Accent, Width = 2 },
        HoverTemplate = hoverTemplate,
        X = new List<object>(),
        Y = new List<object>(),
    };
}

/// <summary>
/// Sends one chart its updates one at a time, each given a few seconds (<see cref="DefaultPatience"/>) to be drawn. A browser that does not draw
/// (Plotly waits for an animation frame, which a tab in the background never gets) would otherwise leave the silo
/// holding every update it was sent, one a second for as long as the tab stays open; here at most one waits, and an
/// update that was not drawn in time is dropped (the chart's next one carries what it missed).
/// </summary>
public sealed class ChartUpdates(TimeSpan? patience = null)
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(5);

    private readonly TimeSpan _patience = patience ?? DefaultPatience;
    private bool _inFlight;

    /// <summary>Whether the update was drawn: false when another was still in flight, or this one failed or took too long.</summary>
    public async Task<bool> TrySendAsync(Func<CancellationToken, Task> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (_inFlight)
        {
            return false;
        }
        _inFlight = true;
        using var patience = new CancellationTokenSource(_patience);
        try
        {
            await update(patience.Token);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or JSException or JSDisconnectedException)
        {
            return false;
        }
        finally
        {
            _inFlight = false;
        }
    }
}

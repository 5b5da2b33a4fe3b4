using Plotly.Blazor.LayoutLib;
using Volunteer.Dashboard.Data.Jobs;

namespace Volunteer.Dashboard.Components.Jobs;

/// <summary>The job pages' charts: their layout, themed as the page is, and the points they draw.</summary>
public static class JobCharts
{
    /// <summary>A chart layout on a transparent background (the panel shows through), in the theme's text colour.</summary>
    public static Plotly.Blazor.Layout Layout(string yTitle) => new()
    {
        PaperBgColor = "rgba(0,0,0,0)",
        PlotBgColor = "rgba(0,0,0,0)",
        Font = new Font { Color = TextColor("dark") },
        Margin = new Margin { L = 56, R = 16, T = 16, B = 40 },
        ShowLegend = false,
        Height = 260,
        XAxis = [new XAxis { Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Date, GridColor = GridColor("dark") }],
        YAxis =
        [
            new YAxis
            {
                RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.NonNegative,
                GridColor = GridColor("dark"),
                Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle },
            },
        ],
    };

    /// <summary>Sets the layout's colours for the reader's theme ("dark" or "light"), as dashboard.css has them.</summary>
    public static void Theme(Plotly.Blazor.Layout layout, string theme)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.Font = new Font { Color = TextColor(theme) };
        foreach (var axis in layout.XAxis ?? [])
        {
            axis.GridColor = GridColor(theme);
        }
        foreach (var axis in layout.YAxis ?? [])
        {
            axis.GridColor = GridColor(theme);
        }
    }

    /// <summary>The timeline's points: at the end of each bucket, the units validated up to then.</summary>
    public static (IList<object> X, IList<object> Y) Cumulative(UnitTimeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var x = new List<object>(timeline.Validated.Count + 1) { timeline.Start.UtcDateTime };
        var y = new List<object>(timeline.Validated.Count + 1) { 0L };
        long sum = 0;
        for (var i = 0; i < timeline.Validated.Count; i++)
        {
            sum += timeline.Validated[i];
            x.Add((timeline.Start + (timeline.BucketWidth * (i + 1))).UtcDateTime);
            y.Add(sum);
        }
        return (x, y);
    }

    private static string TextColor(string theme) => theme == "light" ? "#15191e" : "#e8ecf1";

    private static string GridColor(string theme) => theme == "light" ? "#d5dbe1" : "#2f3842";
}

using Volunteer.Dashboard.Data.Jobs;

namespace Volunteer.Dashboard.Components.Jobs;

/// <summary>The points the job pages' charts draw.</summary>
public static class JobCharts
{
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
}

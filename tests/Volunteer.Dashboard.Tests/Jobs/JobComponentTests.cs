using Bunit;
using Microsoft.AspNetCore.Components;
using Volunteer.Dashboard.Components.Jobs;
using Volunteer.Dashboard.Data.Jobs;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests.Jobs;

public sealed class JobComponentTests : BunitContext
{
    public JobComponentTests() => SetRendererInfo(new RendererInfo("Static", isInteractive: false));

    [Fact]
    public void The_unit_state_bar_gives_each_state_its_share_of_the_units()
    {
        var bar = Render<UnitStateBar>(p => p.Add(c => c.Units, new UnitCounts(Pending: 50, InProgress: 25, Valid: 0, Assimilated: 20, Failed: 5)));

        var segments = bar.FindAll(".state-bar > span");
        Assert.Equal(
            [("pending", "state-pending", "50%"), ("in progress", "state-in-progress", "25%"), ("assimilated", "state-assimilated", "20%"), ("failed", "state-failed", "5%")],
            segments.Select(s => (s.GetAttribute("data-unit-state"), s.ClassName, s.GetAttribute("style")!.Replace("width: ", "", StringComparison.Ordinal))));
        Assert.Equal("0", bar.Find("[data-unit-count='valid']").TextContent);
        Assert.Equal("Units by state: 50 pending, 25 in progress, 0 valid, 20 assimilated, 5 failed", bar.Find(".state-bar").GetAttribute("aria-label"));
    }

    [Fact]
    public void A_unit_state_bar_of_a_third_each_is_not_rounded_to_nothing()
    {
        var bar = Render<UnitStateBar>(p => p.Add(c => c.Units, new UnitCounts(1, 1, 1, 0, 0)));

        Assert.All(bar.FindAll(".state-bar > span"), s => Assert.Equal("width: 33.333%", s.GetAttribute("style")));
    }

    [Theory]
    [InlineData(0.0, "0", "0%")]
    [InlineData(0.4567, "0.4567", "45%")]
    [InlineData(0.999, "0.999", "99%")]
    [InlineData(1.0, "1", "100%")]
    public void The_progress_bar_holds_the_fraction_and_says_the_whole_percent_done(double progress, string value, string percent)
    {
        var id = Guid.Parse("3f2a1b2c-0000-4000-8000-000000000000");
        var cut = Render<JobProgress>(p => p.Add(c => c.JobId, id).Add(c => c.Progress, progress));

        var bar = cut.Find("progress[data-job-progress]");
        Assert.Equal(value, bar.GetAttribute("value"));
        Assert.Equal("1", bar.GetAttribute("max"));
        Assert.Equal("Progress of job 3f2a1b2c", bar.GetAttribute("aria-label"));
        Assert.Equal(percent, cut.Find("[data-job-percent]").TextContent);
    }

    [Fact]
    public void A_running_jobs_pace_and_time_left_come_from_its_completion_estimate()
    {
        var now = FakeJobsData.Now;
        // 100 units: 40 assimilated, 10 valid awaiting their payload, 50 to go in 200 s: a quarter of a unit a second.
        var job = FakeJobsData.Job("primes", JobState.Running, new UnitCounts(30, 20, 10, 40, 0), estimatedCompletion: now.AddSeconds(200));

        Assert.Equal(0.25, JobFigures.UnitsPerSecond(job, now));
        Assert.Equal("15.0/min", JobFigures.RateText(JobFigures.UnitsPerSecond(job, now)));
        Assert.Equal("in 3 min 20 s", JobFigures.EtaText(job, now));
        Assert.Equal("any moment", JobFigures.EtaText(job, now.AddSeconds(201)));
        Assert.Null(JobFigures.UnitsPerSecond(job with { EstimatedCompletion = null }, now));
        Assert.Equal("estimating…", JobFigures.EtaText(job with { EstimatedCompletion = null }, now));
    }

    [Fact]
    public void An_ended_job_has_no_pace_and_says_how_long_it_took()
    {
        var completed = FakeJobsData.Job("primes", JobState.Completed, new UnitCounts(0, 0, 0, 10, 0));
        var cancelled = FakeJobsData.Job("primes", JobState.Cancelled, new UnitCounts(5, 0, 0, 5, 0));

        Assert.Null(JobFigures.UnitsPerSecond(completed, FakeJobsData.Now));
        Assert.Equal("took 1 min", JobFigures.EtaText(completed, FakeJobsData.Now));
        Assert.Equal("stopped after 1 min", JobFigures.EtaText(cancelled, FakeJobsData.Now));
    }

    [Theory]
    [InlineData(null, "—")]
    [InlineData(1234.6, "1,235/s")]
    [InlineData(12.34, "12.3/s")]
    [InlineData(0.5, "30.0/min")]
    [InlineData(0.0001, "<0.1/min")]
    public void A_pace_reads_per_second_or_per_minute(double? unitsPerSecond, string expected) =>
        Assert.Equal(expected, JobFigures.RateText(unitsPerSecond));

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(59, "59 s")]
    [InlineData(120, "2 min")]
    [InlineData(125, "2 min 5 s")]
    [InlineData(1799, "30 min")]
    [InlineData(7260, "2 h 1 min")]
    [InlineData(90000, "1 d 1 h")]
    public void Durations_read_to_the_second_then_the_minute_then_the_hour(int seconds, string expected) =>
        Assert.Equal(expected, JobFigures.DurationText(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Replica_outcomes_are_shown_by_name()
    {
        var cut = Render<ReplicaOutcomeFigures>(p => p.Add(c => c.Replicas, new ReplicaOutcomes(1, 2, 3, 4000, 5, 6, 7, 8)));

        Assert.Equal("2", cut.Find("[data-figure='replicas-in-flight'] dd").TextContent);
        Assert.Equal("4,000", cut.Find("[data-figure='replicas-valid'] dd").TextContent);
        Assert.Equal("6", cut.Find("[data-figure='replicas-errors'] dd").TextContent);
        Assert.Equal("7", cut.Find("[data-figure='replicas-timed-out'] dd").TextContent);
    }

    [Theory]
    [InlineData(10, 1, 11)]
    [InlineData(119, 1, 120)]
    [InlineData(120, 2, 61)]
    [InlineData(3599, 30, 120)]
    [InlineData(3600, 60, 61)]
    [InlineData(3601, 60, 61)]
    [InlineData(86400 * 3, 3600, 73)]
    [InlineData(86400 * 200, 86400 * 2, 101)]
    public void A_timeline_has_round_buckets_and_never_more_than_its_maximum(int seconds, int widthSeconds, int buckets)
    {
        var span = TimeSpan.FromSeconds(seconds);
        var width = UnitTimeline.BucketWidthFor(span);

        Assert.Equal(TimeSpan.FromSeconds(widthSeconds), width);
        Assert.Equal(buckets, UnitTimeline.BucketCount(span, width));
    }

    [Fact]
    public void The_timeline_sums_the_buckets_up_from_the_start()
    {
        var (x, y) = JobCharts.Cumulative(new UnitTimeline(FakeJobsData.Now, TimeSpan.FromSeconds(10), [2, 0, 5]));

        Assert.Equal([0L, 2L, 2L, 7L], y);
        Assert.Equal(FakeJobsData.Now.AddSeconds(30).UtcDateTime, x[^1]);
    }
}

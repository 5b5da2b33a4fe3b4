using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Data.Jobs;
using Volunteer.Dashboard.Pages.Jobs;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests.Jobs;

/// <summary>The job pages over a test double of their data, rendered once (not live): what a reader finds on them.</summary>
public sealed class JobPageTests : BunitContext
{
    private readonly FakeJobsData _data = new();

    public JobPageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IJobsData>(_data);
        Services.AddSingleton<TimeProvider>(new StoppedClock(FakeJobsData.Now));
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));
    }

    [Fact]
    public void The_list_shows_a_row_per_job_with_its_progress_pace_and_time_left()
    {
        var running = FakeJobsData.Job("primes", JobState.Running, new UnitCounts(30, 20, 10, 40, 0), estimatedCompletion: FakeJobsData.Now.AddSeconds(100));
        var done = FakeJobsData.Job("mandelbrot", JobState.Completed, new UnitCounts(0, 0, 0, 16, 0));
        _data.Jobs.AddRange([running, done]);

        var page = Render<JobsList>();

        var rows = page.FindAll("table[aria-label='Jobs'] tbody tr");
        Assert.Equal([running.Id.ToString(), done.Id.ToString()], rows.Select(r => r.GetAttribute("data-job-id")));
        Assert.Equal("40%", rows[0].QuerySelector("[data-job-percent]")!.TextContent);
        Assert.Equal("0.4", rows[0].QuerySelector("progress[data-job-progress]")!.GetAttribute("value"));
        Assert.Contains("30.0/min", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("in 1 min 40 s", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("100%", rows[1].QuerySelector("[data-job-percent]")!.TextContent);
        Assert.Equal($"/jobs/{done.Id}", rows[1].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("State", page.Find("label[for='state-filter']").TextContent);
        Assert.True(page.Find("button:contains('Previous page')").HasAttribute("disabled"));
        Assert.True(page.Find("button:contains('Next page')").HasAttribute("disabled"));
    }

    [Fact]
    public void The_filter_and_the_page_come_from_the_address()
    {
        var jobs = Enumerable.Range(0, 45).Select(_ => FakeJobsData.Job("checksum", JobState.Running, new UnitCounts(1, 0, 0, 0, 0))).ToList();
        _data.Jobs.AddRange(jobs);
        _data.Jobs.Add(FakeJobsData.Job("primes", JobState.Failed, new UnitCounts(0, 0, 0, 0, 1)));
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/jobs?state=running&after={jobs[19].Id}");

        var page = Render<JobsList>();

        Assert.Equal(new JobsPageRequest(JobState.Running, JobsList.PageSize, jobs[19].Id), _data.PageRequests[0]);
        Assert.Equal(jobs.Skip(20).Take(20).Select(j => j.Id.ToString()), page.FindAll("tbody tr").Select(r => r.GetAttribute("data-job-id")));
        Assert.Equal("Running", page.Find("#state-filter").GetAttribute("value"));
        Assert.False(page.Find("button:contains('Previous page')").HasAttribute("disabled"));
        Assert.False(page.Find("button:contains('Next page')").HasAttribute("disabled"));
    }

    [Fact]
    public void A_bad_filter_or_page_in_the_address_is_said_and_the_first_page_shown()
    {
        _data.Jobs.Add(FakeJobsData.Job("primes", JobState.Running, new UnitCounts(1, 0, 0, 0, 0)));
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/jobs?state=Sleeping&after={Guid.Empty}");

        var page = Render<JobsList>();

        Assert.Contains("'Sleeping' is not a job state", page.Find("[role='alert']").TextContent, StringComparison.Ordinal);
        Assert.Single(page.FindAll("tbody tr"));
    }

    [Fact]
    public void A_running_jobs_page_shows_its_state_progress_units_and_growing_image()
    {
        var job = FakeJobsData.Job("mandelbrot", JobState.Running, new UnitCounts(4, 2, 0, 10, 0));
        _data.Jobs.Add(job);
        _data.Activity[job.Id] = new JobActivity(
            new UnitTimeline(FakeJobsData.Now.AddMinutes(-1), TimeSpan.FromSeconds(1), [3, 7]), new ReplicaOutcomes(0, 3, 1, 20, 1, 2, 0, 0),
            FakeJobsData.Now);

        var page = Render<JobDetail>(p => p.Add(c => c.Id, job.Id.ToString()));

        Assert.Contains("mandelbrot", page.Find("h1").TextContent, StringComparison.Ordinal);
        Assert.Equal("Running", page.Find("[data-job-state]").TextContent);
        Assert.Equal("62%", page.Find("[data-job-percent]").TextContent);
        Assert.Equal($"/dashboard/jobs/{job.Id}/image.png?v=10", page.Find("img.result-image[data-job-image]").GetAttribute("src"));
        Assert.Equal("3", page.Find("[data-figure='replicas-in-flight-now'] dd").TextContent);
        Assert.Equal("2", page.Find("[data-figure='replicas-errors'] dd").TextContent);
        Assert.Contains("10 units validated", page.Find("[data-timeline-summary]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("button:contains('Cancel job')"));
        Assert.Empty(page.FindAll("[data-job-result]"));
    }

    [Fact]
    public void A_completed_jobs_page_shows_its_result_as_indented_json()
    {
        var job = FakeJobsData.Job("primes", JobState.Completed, new UnitCounts(0, 0, 0, 10, 0), result: """{"primeCount":168}""");
        _data.Jobs.Add(job);

        var page = Render<JobDetail>(p => p.Add(c => c.Id, job.Id.ToString()));

        Assert.Equal("Completed", page.Find("[data-job-state]").TextContent);
        Assert.Equal("{\n  \"primeCount\": 168\n}", page.Find("pre[data-job-result]").TextContent.ReplaceLineEndings("\n"));
        Assert.Empty(page.FindAll("[data-job-image]"));
        Assert.Empty(page.FindAll("button:contains('Cancel job')"));
    }

    [Fact]
    public void Cancelling_asks_first_and_then_cancels_the_job()
    {
        var job = FakeJobsData.Job("primes", JobState.Running, new UnitCounts(10, 0, 0, 0, 0));
        _data.Jobs.Add(job);
        var page = Render<JobDetail>(p => p.Add(c => c.Id, job.Id.ToString()));

        page.Find("button:contains('Cancel job')").Click();
        Assert.Empty(_data.Cancelled);
        page.Find("button:contains('Yes, cancel the job')").Click();

        Assert.Equal([job.Id], _data.Cancelled);
        Assert.Equal("Cancelled", page.Find("[data-job-state]").TextContent);
        Assert.Contains("The job is cancelled.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_units_errors_are_listed()
    {
        var job = FakeJobsData.Job("primes", JobState.Completed, new UnitCounts(0, 0, 0, 9, 1), result: """{"primeCount":1}""");
        _data.Jobs.Add(job);
        _data.FailedUnits[job.Id] =
        [
            new FailedUnitReport(7, """{"from":700,"to":800}""",
            [
                new FailedUnitReplica(0, ReplicaOutcome.Error, "out of memory"), new FailedUnitReplica(1, ReplicaOutcome.TimedOut, null),
                new FailedUnitReplica(2, ReplicaOutcome.Error, "crashed"),
            ]),
        ];

        var page = Render<JobDetail>(p => p.Add(c => c.Id, job.Id.ToString()));

        var row = page.Find("table[aria-label='Failed units'] tr[data-unit-index='7']");
        Assert.Contains("2 error, 1 timed out", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("replica 0: out of memory", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("replica 2: crashed", row.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-guid", "Not a job id")]
    [InlineData("7c9e6679-7425-40de-944b-e07fc1f90ae7", "No such job")]
    public void A_malformed_or_unknown_id_gets_a_clear_message(string id, string heading)
    {
        var page = Render<JobDetail>(p => p.Add(c => c.Id, id));

        Assert.Equal(heading, page.Find("h1").TextContent);
        Assert.NotNull(page.Find("[role='alert'] a[href='/jobs']"));
    }
}

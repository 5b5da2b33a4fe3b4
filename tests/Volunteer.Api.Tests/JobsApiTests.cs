using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>The job API's happy paths and its answers about jobs that are missing or not finished.</summary>
public sealed class JobsApiTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>
{
    private readonly HttpClient _jobs = factory.CreateJobsClient();

    [Fact]
    public async Task Submit_returns_201_with_a_location_that_serves_the_running_job()
    {
        using var response = await _jobs.PostAsync(Api.JobsPath, Api.Json(Api.PrimesJob(0, 1000, 100, ""","priority":7""")));

        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<JobView>(ProtocolJson.Options))!;
        Assert.Equal(Api.JobPath(created.Id), response.Headers.Location?.OriginalString);
        Assert.Equal(JobState.Running, created.State);
        Assert.Equal(10, created.UnitCount);

        var fetched = await Api.GetJobAsync(_jobs, created.Id);
        Assert.Equal(created.Id, fetched.Id);
        Assert.Equal("primes", fetched.App);
        Assert.Equal(JobState.Running, fetched.State);
        Assert.Equal(10, fetched.UnitCount);
        Assert.Equal(new UnitCounts(10, 0, 0, 0, 0), fetched.Units);
        Assert.Equal(0, fetched.Progress);
        Assert.Null(fetched.Result);
        Assert.Null(fetched.FinishedAt);
        Assert.Equal(Redundancy.Default, fetched.Redundancy);
        Assert.Equal(7, fetched.Priority);
        Assert.Equal(3600, fetched.DeadlineSeconds);
        Assert.Equal(1000, fetched.Parameters.GetProperty("to").GetInt64());
    }

    [Fact]
    public async Task Submit_keeps_the_redundancy_and_deadline_asked_for()
    {
        var job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 10, 3,
            ""","redundancy":{"targetResults":3,"minQuorum":2,"maxErrorResults":1,"maxTotalResults":5},"deadlineSeconds":60"""));

        var fetched = await Api.GetJobAsync(_jobs, job.Id);
        Assert.Equal(new Redundancy(3, 2, 1, 5), fetched.Redundancy);
        Assert.Equal(60, fetched.DeadlineSeconds);
        Assert.Equal(4, fetched.UnitCount);
    }

    [Theory]
    [InlineData("""{"targetResults":2,"minQuorum":2}""", 2, 2, 3, 6)]
    [InlineData("""{"minQuorum":1}""", 2, 1, 3, 6)]
    [InlineData("""{"targetResults":3,"maxTotalResults":9}""", 3, 2, 3, 9)]
    [InlineData("""{}""", 2, 2, 3, 6)]
    public async Task Redundancy_fields_left_out_take_their_defaults(string redundancy, int target, int quorum, int maxErrors, int maxTotal)
    {
        var job = await Api.SubmitAsync(_jobs, """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":""" + redundancy + "}");

        var fetched = await Api.GetJobAsync(_jobs, job.Id);
        Assert.Equal(new Redundancy(target, quorum, maxErrors, maxTotal), fetched.Redundancy);
    }

    [Fact]
    public async Task List_contains_the_job_and_filters_by_state()
    {
        var running = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 500, 100));
        var cancelled = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 700, 100));
        await Api.CancelAsync(_jobs, cancelled.Id);

        var all = await Api.ListJobsAsync(_jobs, "");
        Assert.Contains(all, j => j.Id == running.Id && j.State == JobState.Running && j.UnitCount == 5);
        Assert.Contains(all, j => j.Id == cancelled.Id && j.State == JobState.Cancelled);

        var onlyRunning = await Api.ListJobsAsync(_jobs, "?state=Running");
        Assert.Contains(onlyRunning, j => j.Id == running.Id);
        Assert.DoesNotContain(onlyRunning, j => j.Id == cancelled.Id);
        Assert.All(onlyRunning, j => Assert.Equal(JobState.Running, j.State));

        var onlyCancelled = await Api.ListJobsAsync(_jobs, "?state=cancelled");
        Assert.Contains(onlyCancelled, j => j.Id == cancelled.Id);
        Assert.All(onlyCancelled, j => Assert.Equal(JobState.Cancelled, j.State));

        var newest = await Api.ListJobsAsync(_jobs, "?limit=1");
        Assert.Single(newest);
    }

    [Fact]
    public async Task The_list_is_walked_a_page_at_a_time_by_its_next_links()
    {
        for (var i = 0; i < 5; i++)
        {
            await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 100, 100));
        }
        var everything = await Api.ListJobsAsync(_jobs, "?limit=1000");

        var walked = new List<Guid>();
        var next = Api.JobsPath + "?limit=2";
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages <= everything.Count, "The next links do not end.");
            using var response = await _jobs.GetAsync(next);
            await Api.AssertStatusAsync(response, HttpStatusCode.OK);
            var page = (await response.Content.ReadFromJsonAsync<List<JobView>>(ProtocolJson.Options))!;
            Assert.True(page.Count <= 2);
            walked.AddRange(page.Select(j => j.Id));
            next = response.Headers.TryGetValues("Link", out var links)
                ? Assert.Single(links).Split(';')[0].Trim('<', '>', ' ')
                : null;
        }

        Assert.Equal(everything.Select(j => j.Id), walked);
    }

    [Theory]
    [InlineData("?after=not-a-job", "'after' must be a job id")]
    [InlineData("?after=00000000-0000-0000-0000-000000000001", "'after' names no job")]
    [InlineData("?state=Sleeping", "'state' must be one of")]
    [InlineData("?state=42", "'state' must be one of")]
    [InlineData("?limit=0", "'limit' must be between 1 and 1000")]
    [InlineData("?limit=-5", "'limit' must be between 1 and 1000")]
    [InlineData("?limit=1001", "'limit' must be between 1 and 1000")]
    public async Task List_with_a_bad_filter_is_400(string query, string detail)
    {
        using var response = await _jobs.GetAsync(Api.JobsPath + query);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task List_with_a_limit_that_is_not_a_number_is_400()
    {
        using var response = await _jobs.GetAsync(Api.JobsPath + "?limit=many");

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task Result_before_completion_is_409()
    {
        var job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 1000, 100));

        using var response = await _jobs.GetAsync(Api.ResultPath(job.Id));

        await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, job.Id.ToString(), "Running");
        Assert.Equal(JobState.Running, (await Api.GetJobAsync(_jobs, job.Id)).State);
    }

    [Fact]
    public async Task Cancel_is_200_then_409_and_a_cancelled_job_has_no_result()
    {
        var job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 1000, 100));

        using (var cancel = await _jobs.DeleteAsync(Api.JobPath(job.Id)))
        {
            await Api.AssertStatusAsync(cancel, HttpStatusCode.OK);
            var view = (await cancel.Content.ReadFromJsonAsync<JobView>(ProtocolJson.Options))!;
            Assert.Equal(job.Id, view.Id);
            Assert.Equal(JobState.Cancelled, view.State);
            Assert.NotNull(view.FinishedAt);
        }
        var cancelled = await Api.GetJobAsync(_jobs, job.Id);
        Assert.Equal(JobState.Cancelled, cancelled.State);

        using (var again = await _jobs.DeleteAsync(Api.JobPath(job.Id)))
        {
            await Api.AssertProblemAsync(again, HttpStatusCode.Conflict, "already Cancelled");
        }
        using (var result = await _jobs.GetAsync(Api.ResultPath(job.Id)))
        {
            await Api.AssertProblemAsync(result, HttpStatusCode.Conflict, "Cancelled");
        }
        var after = await Api.GetJobAsync(_jobs, job.Id);
        Assert.Equal(JobState.Cancelled, after.State);
        Assert.Equal(cancelled.FinishedAt, after.FinishedAt);
        Assert.Equal(cancelled.Units, after.Units);
    }

    [Theory]
    [MemberData(nameof(Api.JobEndpoints), MemberType = typeof(Api))]
    public async Task Unknown_job_is_404(string method, string suffix)
    {
        var id = Guid.NewGuid();

        using var response = await _jobs.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"{Api.JobsPath}/{id}{suffix}"));

        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, id.ToString());
    }

    [Theory]
    [InlineData("?limit=0", "'limit' must be between 1 and 1000")]
    [InlineData("?limit=1001", "'limit' must be between 1 and 1000")]
    [InlineData("?after=-2", "'after' must be a unit index")]
    [InlineData("?after=x", "after")]
    public async Task Failed_units_with_a_bad_page_are_400(string query, string detail)
    {
        var job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 100, 10));

        using var response = await _jobs.GetAsync("/" + Routes.JobFailedUnits(job.Id) + query);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Theory]
    [MemberData(nameof(Api.JobEndpoints), MemberType = typeof(Api))]
    public async Task Job_id_that_is_not_a_guid_is_400(string method, string suffix)
    {
        var count = (await Api.ListJobsAsync(_jobs)).Count;

        using var response = await _jobs.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"{Api.JobsPath}/not-a-guid{suffix}"));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'not-a-guid' is not a job id");
        Assert.Equal(count, (await Api.ListJobsAsync(_jobs)).Count);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_job_api()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/" + Routes.OpenApiDocument);

        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { Api.JobsPath, Api.JobsPath + "/{jobId}", Api.SyncPath })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"The OpenAPI document lacks {path}.");
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Bad submissions and missing credentials on the job API: a 4xx problem that names what is wrong,
/// and no job is recorded.
/// </summary>
public sealed class JobSubmissionBadInputTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>
{
    private const string GoodRedundancy = """ "redundancy":{"targetResults":2,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6} """;

    private readonly HttpClient _jobs = factory.CreateJobsClient();

    public static TheoryData<string, string[]> BadSubmissions => new()
    {
        // Not JSON, or not the shape of a submission.
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10}""", ["JSON"] },
        { """{"app":"primes",,}""", ["JSON"] },
        { "not json at all", ["JSON"] },
        { "[]", ["JSON"] },
        { "null", [] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"colour":"red"}""", ["JSON", "colour"] },
        { """{"app":"primes"}""", ["JSON", "parameters"] },
        { """{"parameters":{"from":0,"to":100,"unitSize":10}}""", ["JSON", "app"] },
        { """{"app":null,"parameters":{"from":0,"to":100,"unitSize":10}}""", ["JSON"] },
        { """{"app":7,"parameters":{"from":0,"to":100,"unitSize":10}}""", ["JSON"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"deadlineSeconds":"soon"}""", ["JSON"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"adaptive":"yes"}""", ["JSON"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"adaptive":1}""", ["JSON"] },
        // The app.
        { """{"app":"","parameters":{"from":0,"to":100,"unitSize":10}}""", ["'app' is required"] },
        { """{"app":"mersenne","parameters":{"from":0,"to":100,"unitSize":10}}""", ["Unknown app 'mersenne'", "primes"] },
        { """{"app":"Primes","parameters":{"from":0,"to":100,"unitSize":10}}""", ["Unknown app 'Primes'"] },
        // The app's parameters.
        { """{"app":"primes","parameters":null}""", ["Invalid parameters for app 'primes'"] },
        { """{"app":"primes","parameters":"0..100"}""", ["Invalid parameters for app 'primes'"] },
        { """{"app":"primes","parameters":{"from":-1,"to":100,"unitSize":10}}""", ["from must be at least 0"] },
        { """{"app":"primes","parameters":{"from":100,"to":10,"unitSize":10}}""", ["to must be greater than from"] },
        { """{"app":"primes","parameters":{"from":100,"to":100,"unitSize":10}}""", ["to must be greater than from"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":0}}""", ["unitSize must be at least 1"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":-10}}""", ["unitSize must be at least 1"] },
        { """{"app":"primes","parameters":{"from":0,"to":100}}""", ["unitSize is missing"] },
        { """{"app":"primes","parameters":{}}""", ["from is missing"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10,"step":2}}""", ["unknown field 'step'"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10,"from":5}}""", ["Duplicate property 'from'"] },
        { """{"app":"primes","app":"checksum","parameters":{"from":0,"to":100,"unitSize":10}}""", ["Duplicate property 'app'"] },
        { """{"app":"primes","parameters":{"From":0,"to":100,"unitSize":10}}""", ["unknown field 'From'"] },
        { """{"app":"primes","parameters":{"from":0,"to":100.5,"unitSize":10}}""", ["to must be an integer"] },
        { """{"app":"primes","parameters":{"from":"0","to":100,"unitSize":10}}""", ["from must be an integer"] },
        { """{"app":"primes","parameters":{"from":0,"to":100000000000000000,"unitSize":10}}""", ["to must be at most"] },
        { """{"app":"primes","parameters":{"from":0,"to":10000000000000000,"unitSize":1}}""", ["at most 1000000000 units"] },
        // Redundancy.
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":2,"minQuorum":0,"maxErrorResults":3,"maxTotalResults":6}}""", ["minQuorum"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":1,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6}}""", ["'redundancy.minQuorum' (2) must not exceed 'targetResults' (1)"] },
        // A field left out takes its default, and the rule is checked against it: minQuorum 2 > targetResults 1.
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":1}}""", ["'redundancy.minQuorum' (2) must not exceed 'targetResults' (1)"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":7}}""", ["'redundancy.maxTotalResults' (6) must be at least 'targetResults' (7)"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":3,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":2}}""", ["maxTotalResults"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":2,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":21}}""", ["maxTotalResults", "20"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":2,"minQuorum":2,"maxErrorResults":-1,"maxTotalResults":6}}""", ["maxErrorResults"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"redundancy":{"targetResults":"two"}}""", ["JSON"] },
        // Deadline and priority.
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"deadlineSeconds":0}""", ["deadlineSeconds"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"deadlineSeconds":2592001}""", ["deadlineSeconds"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"priority":1001}""", ["priority"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"priority":-1001}""", ["priority"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"priority":-2147483648}""", ["'priority' must be between -1000 and 1000"] },
        { """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},"priority":"5"}""", ["JSON"] },
    };

    [Theory]
    [MemberData(nameof(BadSubmissions))]
    public async Task Bad_submission_is_400_naming_the_problem_and_records_nothing(string body, string[] detail)
    {
        var before = await Api.ListJobsAsync(_jobs);

        using var response = await _jobs.PostAsync(Api.JobsPath, Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        Assert.Null(response.Headers.Location);
        await AssertNoJobRecordedAsync(before);
    }

    [Fact]
    public async Task The_good_redundancy_of_the_bad_cases_is_itself_accepted()
    {
        // Guards the theory above: its bodies differ from an accepted one only where they mean to.
        var job = await Api.SubmitAsync(_jobs, """{"app":"primes","parameters":{"from":0,"to":100,"unitSize":10},""" + GoodRedundancy + "}");

        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(10, job.UnitCount);
    }

    [Fact]
    public async Task A_huge_unknown_app_name_is_quoted_only_in_part()
    {
        var before = await Api.ListJobsAsync(_jobs);
        var name = new string('x', 100_000);

        using var response = await _jobs.PostAsync(Api.JobsPath, Api.Json($$$"""{"app":"{{{name}}}","parameters":{}}"""));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "Unknown app", "(100000 characters)");
        Assert.Equal($"Unknown app '{name[..64]}…' (100000 characters). Known apps: primes, checksum, mandelbrot, motifs.", problem.GetProperty("detail").GetString());
        await AssertNoJobRecordedAsync(before);
    }

    [Fact]
    public async Task Missing_body_is_400_and_records_nothing()
    {
        var before = await Api.ListJobsAsync(_jobs);

        using var response = await _jobs.PostAsync(Api.JobsPath, new StringContent("", Encoding.UTF8, "application/json"));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "body");
        await AssertNoJobRecordedAsync(before);
    }

    [Fact]
    public async Task Body_that_is_not_json_content_is_415_and_records_nothing()
    {
        var before = await Api.ListJobsAsync(_jobs);

        using var response = await _jobs.PostAsync(Api.JobsPath, new StringContent(Api.PrimesJob(0, 100, 10), Encoding.UTF8, "text/plain"));

        // The routing layer refuses the content type before the endpoint runs, so this problem has a
        // title but no "detail" of its own.
        await Api.AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(415, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Unsupported Media Type", problem.RootElement.GetProperty("title").GetString());
        await AssertNoJobRecordedAsync(before);
    }

    [Fact]
    public async Task Submit_without_an_api_key_is_401_and_records_nothing()
    {
        var before = await Api.ListJobsAsync(_jobs);
        using var anonymous = factory.CreateClient();

        using var response = await anonymous.PostAsync(Api.JobsPath, Api.Json(Api.PrimesJob(0, 100, 10)));

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, Routes.ApiKeyHeader);
        await AssertNoJobRecordedAsync(before);
    }

    [Theory]
    [InlineData("{\"app\":")]
    [InlineData("not json at all")]
    public async Task Submit_without_an_api_key_is_401_before_its_body_is_read(string body)
    {
        var before = await Api.ListJobsAsync(_jobs);
        using var anonymous = factory.CreateClient();

        // Bad JSON would be a 400 to a caller with a key; without one, the body is never looked at.
        using var response = await anonymous.PostAsync(Api.JobsPath, Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, Routes.ApiKeyHeader);
        await AssertNoJobRecordedAsync(before);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData(CoordinatorFactory.ApiKey + "x")]
    [InlineData(" ")]
    public async Task Submit_with_a_wrong_api_key_is_401_and_records_nothing(string key)
    {
        var before = await Api.ListJobsAsync(_jobs);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, key);

        using var response = await client.PostAsync(Api.JobsPath, Api.Json(Api.PrimesJob(0, 100, 10)));

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key");
        await AssertNoJobRecordedAsync(before);
    }

    [Theory]
    [MemberData(nameof(Api.JobEndpoints), MemberType = typeof(Api))]
    public async Task Every_job_endpoint_needs_the_api_key(string method, string suffix)
    {
        var job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 100, 10));
        await AssertRefusedWithoutTheKeyAsync(method, Api.JobPath(job.Id) + suffix);

        // In particular an unauthenticated DELETE cancelled nothing.
        var after = await Api.GetJobAsync(_jobs, job.Id);
        Assert.Equal(JobState.Running, after.State);
        Assert.Null(after.FinishedAt);
    }

    [Fact]
    public async Task Listing_jobs_needs_the_api_key() => await AssertRefusedWithoutTheKeyAsync("GET", Api.JobsPath);

    private async Task AssertRefusedWithoutTheKeyAsync(string method, string path)
    {
        using var anonymous = factory.CreateClient();
        using var wrong = factory.CreateClient();
        wrong.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, "not-the-key");

        using (var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, Routes.ApiKeyHeader);
        }
        using (var response = await wrong.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "not recognised");
        }
    }

    private async Task AssertNoJobRecordedAsync(IReadOnlyList<JobView> before)
    {
        var after = await Api.ListJobsAsync(_jobs);
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before.Select(j => (j.Id, j.State)), after.Select(j => (j.Id, j.State)));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>Requests and assertions shared by the API tests.</summary>
internal static class Api
{
    // The in-process client's base address is the host's root, so the tests' paths start there.
    public const string JobsPath = "/" + Routes.Jobs;
    public const string WorkersPath = "/" + Routes.Workers;
    public const string SyncPath = "/" + Routes.WorkerSync;

    public static string JobPath(Guid jobId) => "/" + Routes.Job(jobId);

    /// <summary>The endpoints of one job, as a method and a path after <see cref="JobPath"/>: every test of them tries all.</summary>
    public static TheoryData<string, string> JobEndpoints => new()
    {
        { "GET", "" },
        { "GET", "/result" },
        { "GET", "/failed-units" },
        { "DELETE", "" },
    };

    public static string ResultPath(Guid jobId) => "/" + Routes.JobResult(jobId);

    /// <summary>A body sent byte for byte as given, so tests can send exactly the bad JSON they mean.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string PrimesJob(long from, long to, long unitSize, string extra = "") =>
        $$"""{"app":"primes","parameters":{"from":{{from}},"to":{{to}},"unitSize":{{unitSize}}}{{extra}}}""";

    public static async Task<JobView> SubmitAsync(HttpClient jobs, string body)
    {
        using var response = await jobs.PostAsync(JobsPath, Json(body));
        await AssertStatusAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JobView>(ProtocolJson.Options))!;
    }

    public static async Task<JobView> GetJobAsync(HttpClient jobs, Guid jobId)
    {
        using var response = await jobs.GetAsync(Routes.Job(jobId));
        await AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JobView>(ProtocolJson.Options))!;
    }

    public static async Task<IReadOnlyList<JobView>> ListJobsAsync(HttpClient jobs, string query = "?limit=1000")
    {
        using var response = await jobs.GetAsync(JobsPath + query);
        await AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<List<JobView>>(ProtocolJson.Options))!;
    }

    /// <summary>Cancels every running job, so that workers of the next test lease only from that test's job.</summary>
    public static async Task CancelRunningJobsAsync(HttpClient jobs)
    {
        foreach (var job in await ListJobsAsync(jobs, "?state=Running&limit=1000"))
        {
            await CancelAsync(jobs, job.Id);
        }
    }

    /// <summary>Cancels a running job, which must succeed.</summary>
    public static async Task CancelAsync(HttpClient jobs, Guid jobId)
    {
        using var response = await jobs.DeleteAsync(JobPath(jobId));
        await AssertStatusAsync(response, HttpStatusCode.OK);
    }

    public static Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode expected) => response.ExpectAsync(expected);

    /// <summary>
    /// Asserts an RFC 7807 problem with this status whose "detail" contains every fragment
    /// (case-insensitive); returns the problem's JSON.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, params string[] detailFragments)
    {
        await AssertStatusAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var problem = document.RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String,
            $"The problem has no \"detail\": {body}");
        var text = detail.GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(text), "The problem's detail is empty.");
        foreach (var fragment in detailFragments)
        {
            Assert.True(text.Contains(fragment, StringComparison.OrdinalIgnoreCase),
                $"Expected the detail to mention \"{fragment}\", but it is: {text}");
        }
        return problem;
    }

    /// <summary>The "refused" array of a refused sync: (replica, code) pairs.</summary>
    public static List<(ReplicaRef Replica, string Code)> Refusals(JsonElement problem)
    {
        Assert.True(problem.TryGetProperty("refused", out var refused) && refused.ValueKind == JsonValueKind.Array,
            $"The problem has no \"refused\" array: {problem}");
        return refused.Deserialize<List<ReportRefusal>>(ProtocolJson.Options)!.Select(r => (r.Replica, r.Code)).ToList();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the time is up; never waits unboundedly.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        await Eventually.PollAsync(async () => await condition() ? "held" : null, timeout, interval ?? TimeSpan.FromMilliseconds(100)) is not null;
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>Jobs and their blobs: inputs that must be uploaded first, relay figures in the job view, and result files.</summary>
public sealed class BlobJobsTests(BlobsCoordinatorFactory factory)
    : JobScenario<BlobsCoordinatorFactory>(factory), IClassFixture<BlobsCoordinatorFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_job_naming_a_blob_not_uploaded_is_refused_and_nothing_is_created()
    {
        var input = Blob.Content(30, 5000);
        var digest = ContentDigest.Of(input);
        var jobsBefore = (await Api.ListJobsAsync(Jobs)).Count;

        using (var missing = await Jobs.PostAsync(Api.JobsPath, Api.Json(ConcatJob(2, digest))))
        {
            await Api.AssertProblemAsync(missing, HttpStatusCode.BadRequest, digest, "not uploaded");
        }
        using (var malformed = await Jobs.PostAsync(Api.JobsPath, Api.Json(ConcatJob(2, "sha256:nope"))))
        {
            await Api.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "'sha256:nope'", "not a blob digest");
        }
        // Begun but not complete is not uploaded either.
        var unfinished = BlobManifest.Of(Blob.Content(31, 5000));
        await Blob.BeginAsync(Jobs, unfinished, HttpStatusCode.Created);
        using (var incomplete = await Jobs.PostAsync(Api.JobsPath, Api.Json(ConcatJob(2, unfinished.Digest))))
        {
            await Api.AssertProblemAsync(incomplete, HttpStatusCode.BadRequest, unfinished.Digest);
        }
        Assert.Equal(jobsBefore, (await Api.ListJobsAsync(Jobs)).Count);

        await Blob.PutAsync(Jobs, input);
        var job = await Api.SubmitAsync(Jobs, ConcatJob(2, digest));
        Assert.Equal(jobsBefore + 1, (await Api.ListJobsAsync(Jobs)).Count);
        Assert.Equal(JobRelay.None, job.Relay);
    }

    [Fact]
    public async Task A_jobs_view_shows_its_relay_figures()
    {
        var job = await Api.SubmitAsync(Jobs, ConcatJob(3));
        await Api.CancelAsync(Jobs, job.Id);
        // Figures reach a job through its grain (the silos' coordinator bytes, the workers' transfers), ended or not.
        var grain = Factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IJobGrain>(job.Id);
        await grain.CountRelayAsync(new JobRelay(4_194_304, 12_582_912, 3, 0, 0));
        await grain.CountRelayAsync(new JobRelay(0, 0, 1, 2, 5));

        var expected = new JobRelay(4_194_304, 12_582_912, 4, 2, 5);
        Assert.True(await Api.EventuallyAsync(async () => (await Api.GetJobAsync(Jobs, job.Id)).Relay == expected, Patience));
        // And kept: each count is committed (the second may still be on its way when the grain's view shows it). The
        // list, which reads ended jobs' figures from the store, shows them once they are.
        Assert.True(await Api.EventuallyAsync(async () => (await Factory.Store.FindJobRelayAsync(job.Id))?.Figures == expected, Patience));
        Assert.Equal(expected, (await Api.ListJobsAsync(Jobs)).Single(j => j.Id == job.Id).Relay);
    }

    [Fact]
    public async Task A_completed_jobs_result_file_is_built_once_from_its_units_payloads_and_downloads_as_a_blob()
    {
        // Part 1 spans two chunks, so the file is read back chunk by chunk.
        byte[][] parts = [Encoding.UTF8.GetBytes("first part;"), Blob.Content(32, BlobManifest.DefaultChunkSize + 10), Encoding.UTF8.GetBytes(";last part")];
        var job = await Api.SubmitAsync(Jobs, ConcatJob(parts.Length));
        var worker = await AttachAsync("tiler");
        var leases = await worker.LeaseAsync(parts.Length);
        Assert.Equal(parts.Length, leases.Count);
        var reports = leases.Select(lease => SimulatedWorker.Success(lease.Ref, ConcatApp.Payload(ContentDigest.Of(parts[lease.UnitIndex])))).ToList();
        Assert.Equal(parts.Length, (await worker.SyncAsync(new SyncRequest(reports))).Accepted);
        Assert.True(await Api.EventuallyAsync(async () => (await Api.GetJobAsync(Jobs, job.Id)).State == JobState.Completed, Patience));

        // The parts are not in the blob store yet: the file cannot be built, and nothing is recorded.
        using (var early = await Jobs.GetAsync(Api.ResultPath(job.Id)))
        {
            await Api.AssertProblemAsync(early, HttpStatusCode.Conflict, ContentDigest.Of(parts[0]));
        }
        Assert.Empty(await Factory.Store.ListJobBlobsAsync(job.Id, JobBlobUse.ResultFile));
        foreach (var part in parts)
        {
            await Blob.PutAsync(Jobs, part);
        }

        var expected = parts.SelectMany(part => part).ToArray();
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            using var response = await Jobs.GetAsync(Api.ResultPath(job.Id));
            await Api.AssertStatusAsync(response, HttpStatusCode.OK);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }));

        foreach (var answer in answers)
        {
            var file = answer.GetProperty("file");
            Assert.Equal(ContentDigest.Of(expected), file.GetProperty("digest").GetString());
            Assert.Equal(expected.Length, file.GetProperty("size").GetInt64());
            Assert.Equal("text/plain", file.GetProperty("contentType").GetString());
            Assert.Equal(parts.Select(p => ContentDigest.Of(p)), answer.GetProperty("result").GetProperty("parts").EnumerateArray().Select(p => p.GetString()));
        }
        Assert.Equal(expected, await Jobs.GetByteArrayAsync(Blob.Path(ContentDigest.Of(expected))));
        Assert.Equal([new JobBlobRecord(job.Id, ContentDigest.Of(expected), JobBlobUse.ResultFile)],
            await Factory.Store.ListJobBlobsAsync(job.Id, JobBlobUse.ResultFile));
    }

    [Fact]
    public async Task The_result_of_an_app_without_a_result_file_names_no_file()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100, ""","redundancy":{"targetResults":1,"minQuorum":1},"adaptive":false"""));
        var worker = await AttachAsync("primes");
        var lease = Assert.Single(await worker.LeaseAsync(1));
        Assert.Equal(1, (await worker.SyncAsync(new SyncRequest([await worker.ComputeAsync(lease)]))).Accepted);
        Assert.True(await Api.EventuallyAsync(async () => (await Api.GetJobAsync(Jobs, job.Id)).State == JobState.Completed, Patience));

        var result = await Jobs.GetFromJsonAsync<JsonElement>(Api.ResultPath(job.Id));

        Assert.False(result.TryGetProperty("file", out _));
        Assert.Equal(25, result.GetProperty("result").GetProperty("primeCount").GetInt64());
    }

    private static string ConcatJob(int units, string? input = null) =>
        $$"""{"app":"{{ConcatApp.AppName}}","parameters":{"units":{{units}}{{(input is null ? "" : $",\"input\":\"{input}\"")}}},"redundancy":{"targetResults":1,"minQuorum":1},"adaptive":false}""";
}

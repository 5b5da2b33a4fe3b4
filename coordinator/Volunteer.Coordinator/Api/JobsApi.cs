using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Apps;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>The job submission API: submit, list, inspect, fetch the result, cancel.</summary>
public static class JobsApi
{
    /// <summary>A submission is an app's name and its parameters: small.</summary>
    public const int MaxSubmissionBytes = 64 * 1024;

    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var jobs = routes.MapGroup("/" + Routes.Jobs).WithTags("Jobs").RequireApiKey();
        jobs.MapPost("/", SubmitJobAsync).WithName("SubmitJob").WithMetadata(new BodyLimit(MaxSubmissionBytes)).WithSummary("Submit a job; it is split lazily into work units.");
        jobs.MapGet("/", ListJobsAsync).WithName("ListJobs")
            .WithSummary("Jobs, newest first, a page at a time: a full page has a Link header to the next.");
        jobs.MapGet("/{jobId}", GetJobAsync).WithName("GetJob").WithSummary("A job's state, unit counts and progress.");
        jobs.MapGet("/{jobId}/failed-units", ListFailedUnitsAsync).WithName("ListFailedUnits")
            .WithSummary("The units that failed, in unit order, a page at a time: a full page has a Link header to the next.");
        jobs.MapGet("/{jobId}/result", GetResultAsync).WithName("GetJobResult")
            .WithSummary("The result of a completed job; for an app whose result is a file, with the blob to download it from.");
        jobs.MapDelete("/{jobId}", CancelJobAsync).WithName("CancelJob").WithSummary("Cancel a running job.");
        return jobs;
    }

    private static async Task<Results<Created<JobView>, ProblemHttpResult>> SubmitJobAsync(
        JobSubmission submission, AppDirectory apps, IGrainFactory grains, IBlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var (spec, app, error) = await JobSubmissionRules.CheckAsync(submission, apps, cancellationToken);
        if (spec is null)
        {
            return Problems.BadRequest(error!);
        }
        if (await JobSubmissionRules.CheckInputBlobsAsync(app!, spec.Parameters, blobs, time.GetUtcNow(), cancellationToken) is { } missing)
        {
            return Problems.BadRequest(missing);
        }
        var status = await grains.Reference<IJobGrain>(Guid.NewGuid()).SubmitAsync(spec);
        var view = JobViews.ViewOf(status, status.Relay ?? JobRelay.None);
        return TypedResults.Created("/" + Routes.Job(view.Id), view);
    }

    private static async Task<Results<Ok<IReadOnlyList<JobView>>, ProblemHttpResult>> ListJobsAsync(
        IWorkStore store, IGrainFactory grains, HttpResponse response, string? state, int? limit, string? after, CancellationToken cancellationToken)
    {
        JobState? wanted = null;
        if (state is not null)
        {
            if (!Enum.GetNames<JobState>().Contains(state, StringComparer.OrdinalIgnoreCase))
            {
                return Problems.BadRequest($"'state' must be one of {string.Join(", ", Enum.GetNames<JobState>())}.");
            }
            wanted = Enum.Parse<JobState>(state, ignoreCase: true);
        }
        var (pageSize, pageProblem) = Paging.PageSize(limit);
        if (pageProblem is not null)
        {
            return pageProblem;
        }
        JobRecord? previous = null;
        if (after is not null)
        {
            if (!Guid.TryParse(after, out var afterId))
            {
                return Problems.BadRequest($"'after' must be a job id (a GUID), not {Problems.Quote(after)}.");
            }
            previous = await store.FindJobAsync(afterId, cancellationToken);
            if (previous is null)
            {
                return Problems.BadRequest($"'after' names no job: there is no job {afterId}.");
            }
        }
        var records = await store.ListJobsAsync(wanted, pageSize, previous, cancellationToken);
        if (records.Count > 0)
        {
            Paging.LinkNext(response, Routes.Jobs, pageSize, records.Count, records[^1].Id.ToString(), ("state", wanted?.ToString()));
        }
        var views = await Task.WhenAll(records.Select(async job =>
            await JobViews.ViewAsync(await JobViews.StatusAsync(job, grains), store, cancellationToken)));
        return TypedResults.Ok<IReadOnlyList<JobView>>(views);
    }

    private static async Task<Results<Ok<IReadOnlyList<FailedUnit>>, ProblemHttpResult>> ListFailedUnitsAsync(
        string jobId, IWorkStore store, HttpResponse response, long? after, int? limit, CancellationToken cancellationToken)
    {
        var (id, idProblem) = ParseJobId(jobId);
        var (pageSize, pageProblem) = Paging.PageSize(limit);
        if ((idProblem ?? pageProblem) is { } problem)
        {
            return problem;
        }
        if (after is < -1)
        {
            return Problems.BadRequest("'after' must be a unit index (0 or more), or -1 for the start.");
        }
        // Failed units are settled rows: the store answers, no grain wakes.
        if (await store.FindJobAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"There is no job {id}.");
        }
        var units = await store.ListUnitsAsync(id, UnitState.Failed, after ?? -1, pageSize, cancellationToken);
        if (units.Count > 0)
        {
            Paging.LinkNext(response, Routes.JobFailedUnits(id), pageSize, units.Count, units[^1].UnitIndex.ToString(CultureInfo.InvariantCulture));
        }
        return TypedResults.Ok<IReadOnlyList<FailedUnit>>(units.Select(unit =>
        {
            using var input = JsonDocument.Parse(unit.Input);
            return new FailedUnit(unit.UnitIndex, input.RootElement.Clone());
        }).ToList());
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetJobAsync(
        string jobId, IGrainFactory grains, IWorkStore store, CancellationToken cancellationToken) =>
        await FindAsync(jobId, grains) switch
        {
            (_, { } problem) => problem,
            (var status, _) => TypedResults.Ok(await JobViews.ViewAsync(status!, store, cancellationToken)),
        };

    private static async Task<Results<Ok<JobResult>, ProblemHttpResult>> GetResultAsync(
        string jobId, IGrainFactory grains, AppDirectory apps, ResultFiles resultFiles, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(jobId, grains);
        if (problem is not null)
        {
            return problem;
        }
        var job = status!.Job;
        if (job.State != JobState.Completed)
        {
            return Problems.Conflict($"Job {job.Id} is {job.State}; a result exists only once it has completed.");
        }
        if (apps.FindBuiltIn(job.App)?.ResultFile is not { } resultFile)
        {
            return TypedResults.Ok(new JobResult(job.Id, job.App, JobViews.ResultOf(job)));
        }
        try
        {
            var file = await resultFiles.FindOrBuildAsync(job, status.Parameters, resultFile, cancellationToken);
            return TypedResults.Ok(new JobResult(job.Id, job.App, JobViews.ResultOf(job), new JobResultFile(file.Digest, file.Size, resultFile.ContentType)));
        }
        catch (BlobMissingException missing)
        {
            return Problems.Conflict($"Job {job.Id}'s result file is built from blob {missing.Digest}, which the coordinator does not hold yet.");
        }
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelJobAsync(
        string jobId, IGrainFactory grains, IWorkStore store, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(jobId, grains);
        if (problem is not null)
        {
            return problem;
        }
        var job = grains.Reference<IJobGrain>(status!.Job.Id);
        if (!await job.CancelAsync())
        {
            return Problems.Conflict($"Job {status.Job.Id} is already {status.Job.State}.");
        }
        return TypedResults.Ok(await JobViews.ViewAsync((await job.GetStatusAsync())!, store, cancellationToken));
    }

    private static async Task<(JobStatus? Status, ProblemHttpResult? Problem)> FindAsync(string jobId, IGrainFactory grains)
    {
        var (id, problem) = ParseJobId(jobId);
        if (problem is not null)
        {
            return (null, problem);
        }
        var status = await grains.Reference<IJobGrain>(id).GetStatusAsync();
        return status is null ? (null, Problems.NotFound($"There is no job {id}.")) : (status, null);
    }

    private static (Guid Id, ProblemHttpResult? Problem) ParseJobId(string jobId) =>
        Guid.TryParse(jobId, out var id) ? (id, null) : (Guid.Empty, Problems.BadRequest($"{Problems.Quote(jobId)} is not a job id (a GUID)."));
}

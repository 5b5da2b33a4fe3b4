using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;
using Volunteer.Coordinator.Apps;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Storage;
using Volunteer.Dashboard.Access;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Dashboard.Jobs;

/// <summary>
/// A job's result image for the job page (<c>&lt;img data-job-image&gt;</c>), behind the dashboard's sign-in: the final
/// PNG once the job has completed (<see cref="ResultFiles"/>), and until then a preview of the units assimilated so far
/// (<see cref="JobImages"/>). The page adds <c>?v={assimilated units}</c> so a browser asks again only when there is more.
/// </summary>
internal static class JobImageEndpoint
{
    public const string Pattern = "/dashboard/jobs/{jobId}/image.png";

    public static IEndpointConventionBuilder MapJobImages(this IEndpointRouteBuilder routes) =>
        routes.MapGet(Pattern, GetImageAsync).WithName("GetJobImage").ExcludeFromDescription()
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiKeyCookie.Scheme });

    private static async Task<IResult> GetImageAsync(
        string jobId, HttpResponse response, IWorkStore store, AppDirectory apps, ResultFiles resultFiles, IBlobStore blobs,
        JobImages images, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(jobId, out var id))
        {
            return Problems.BadRequest($"{Problems.Quote(jobId)} is not a job id (a GUID).");
        }
        if (await store.FindJobAsync(id, cancellationToken) is not { } job)
        {
            return Problems.NotFound($"There is no job {id}.");
        }
        if (apps.FindBuiltIn(job.App)?.ResultFile is not { } resultFile || resultFile.ContentType != "image/png")
        {
            return Problems.NotFound($"Job {id} is a {job.App} job, whose result is not an image.");
        }
        try
        {
            if (job.State == JobState.Completed)
            {
                using var parameters = JsonDocument.Parse(job.Parameters);
                var file = await resultFiles.FindOrBuildAsync(job, parameters.RootElement, resultFile, cancellationToken);
                // The final image never changes.
                response.Headers.CacheControl = "private, max-age=86400";
                return new BlobContent(file, blobs, resultFile.ContentType);
            }
            var preview = await images.PreviewAsync(id, job.UnitsAssimilated, resultFile, cancellationToken);
            // Asked again with the same version, the browser gets a 304.
            response.Headers.CacheControl = "private, no-cache";
            return TypedResults.File(preview.Png, resultFile.ContentType,
                entityTag: new EntityTagHeaderValue($"\"{id:N}-{preview.Assimilated}\""));
        }
        catch (BlobMissingException missing)
        {
            return Problems.Conflict($"Job {id}'s image is drawn from blob {missing.Digest}, which the coordinator does not hold yet.");
        }
        catch (PreviewTooLargeException tooLarge)
        {
            return Problems.Conflict(tooLarge.Message);
        }
    }
}

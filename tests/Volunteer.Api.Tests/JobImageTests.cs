using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Volunteer.Apps.Mandelbrot;
using Volunteer.Dashboard.Access;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// The job page's image (<c>GET /dashboard/jobs/{id}/image.png</c>): behind the dashboard's sign-in, a preview of the
/// tiles assimilated so far while the job runs, the job's PNG once it has completed.
/// </summary>
public sealed class JobImageTests(CoordinatorFactory factory) : JobScenario<CoordinatorFactory>(factory), IClassFixture<CoordinatorFactory>
{
    private const string Mandelbrot = """{"centerX":-0.75,"centerY":0.1,"scale":3.2,"width":300,"height":170,"maxIterations":200,"tileSize":64}""";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Without_the_sign_in_the_image_sends_the_browser_to_the_sign_in_page()
    {
        var job = await Api.SubmitAsync(Jobs, $$"""{"app":"mandelbrot","parameters":{{Mandelbrot}}}""");
        using var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var path = ImagePath(job.Id.ToString());

        foreach (var cookie in new[] { null, "not-the-key" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", $"{ApiKeyCookie.CookieName}={cookie}");
            }
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login?returnUrl=" + Uri.EscapeDataString(path), response.Headers.Location?.OriginalString);
            Assert.NotEqual("image/png", response.Content.Headers.ContentType?.MediaType);
        }
        // The job API's key header is not the dashboard's sign-in.
        using var withHeader = new HttpRequestMessage(HttpMethod.Get, path);
        withHeader.Headers.Add(Routes.ApiKeyHeader, CoordinatorFactory.ApiKey);
        using var refused = await client.SendAsync(withHeader);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
    }

    [Fact]
    public async Task A_malformed_id_is_400_and_an_unknown_job_or_one_without_an_image_404()
    {
        var primes = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 1000, 100));

        using (var response = await GetImageAsync("not-a-job"))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'not-a-job' is not a job id");
        }
        var unknown = Guid.NewGuid();
        using (var response = await GetImageAsync(unknown.ToString()))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, $"There is no job {unknown}");
        }
        using (var response = await GetImageAsync(primes.Id.ToString()))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "primes job, whose result is not an image");
        }
    }

    [Fact]
    public async Task A_running_mandelbrot_job_is_previewed_at_its_size_in_the_gray_of_missing_tiles()
    {
        var job = await Api.SubmitAsync(Jobs, $$"""{"app":"mandelbrot","parameters":{{Mandelbrot}}}""");

        using var response = await GetImageAsync(job.Id.ToString());

        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var (width, height, rgb) = PngDecoder.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((300, 170), (width, height));
        // Mid-gray: the app's colour for a tile not yet in.
        Assert.All(rgb, b => Assert.Equal(128, b));

        // Asked again for the same tiles, the browser keeps what it has.
        var tag = response.Headers.ETag;
        Assert.NotNull(tag);
        using var again = await GetImageAsync(job.Id.ToString(), tag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task A_completed_mandelbrot_job_with_tiles_reported_inline_serves_its_image_pixel_for_pixel()
    {
        var job = await Api.SubmitAsync(Jobs, $$"""{"app":"mandelbrot","parameters":{{Mandelbrot}}}""");
        SimulatedWorker[] workers = [await AttachAsync("image-alice"), await AttachAsync("image-bob")];
        var held = workers.ToDictionary(w => w.Id, _ => new List<Assignment>());
        var deadline = DateTime.UtcNow + Patience;
        while ((await Api.GetJobAsync(Jobs, job.Id)).State == JobState.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, "The mandelbrot job did not complete in time.");
            foreach (var worker in workers)
            {
                var reports = new List<ReplicaReport>();
                foreach (var lease in held[worker.Id])
                {
                    reports.Add(await SimulatedHost.ComputeAsync(lease));
                }
                held[worker.Id] = [.. (await worker.SyncAsync(new SyncRequest(reports, RequestUnits: 4))).Assignments];
            }
        }
        // Tiles this small (12 KiB) travel inline in the reports: the coordinator keeps each folded one as a blob too, as it
        // keeps the tiles it pulls from the volunteers, so the PNG is built from the store alone (it once never was).
        using var response = await GetImageAsync(job.Id.ToString());

        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var (width, height, rgb) = PngDecoder.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((300, 170), (width, height));
        using var parameters = JsonDocument.Parse(Mandelbrot);
        Assert.Equal(MandelbrotApp.RenderImage(parameters.RootElement), rgb);
    }

    private static string ImagePath(string jobId) => $"/dashboard/jobs/{jobId}/image.png";

    private async Task<HttpResponseMessage> GetImageAsync(string jobId, EntityTagHeaderValue? ifNoneMatch = null)
    {
        using var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, ImagePath(jobId) + "?v=0");
        request.Headers.Add("Cookie", $"{ApiKeyCookie.CookieName}={CoordinatorFactory.ApiKey}");
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }
        return await client.SendAsync(request);
    }
}

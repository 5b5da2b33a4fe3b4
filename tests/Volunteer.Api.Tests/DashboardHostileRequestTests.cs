using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Volunteer.Dashboard.Access;
using Xunit.Abstractions;

namespace Volunteer.Api.Tests;

/// <summary>
/// The dashboard's own endpoints under hostile input, 10,000 times over: wrong keys at the sign-in, forged and oversized
/// cookies, malformed and unknown ids. Each gets its exact answer, and none signs anyone in or changes the store. The
/// managed heap is printed, not asserted: the test process runs other classes in parallel, and the heap is theirs too.
/// </summary>
public sealed partial class DashboardHostileRequestTests(CoordinatorFactory factory, ITestOutputHelper output) : IClassFixture<CoordinatorFactory>
{
    private const int Requests = 10_000;

    [Fact]
    public async Task Ten_thousand_bad_sign_ins_cookies_and_ids_are_refused_change_nothing_and_leave_memory_flat()
    {
        using var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        // The sign-in form's antiforgery pair, as a browser holds it.
        using var form = await browser.GetAsync("/login");
        var token = AntiforgeryToken().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;
        var antiforgeryCookie = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var jobsBefore = (await factory.Store.ListJobsAsync(null, 100)).Count;

        async Task SendBadAsync(int i)
        {
            using var request = (i % 5) switch
            {
                0 => SignIn($"wrong-key-{i}"),
                1 => Get("/jobs", $"{ApiKeyCookie.CookieName}={new string('k', 300 + (i % 50))}"),
                2 => Get($"/dashboard/jobs/not-a-job-{i}/image.png", $"{ApiKeyCookie.CookieName}={CoordinatorFactory.ApiKey}"),
                3 => Get($"/dashboard/jobs/{Guid.NewGuid()}/image.png", $"{ApiKeyCookie.CookieName}={CoordinatorFactory.ApiKey}"),
                _ => Get($"/volunteers/{Guid.NewGuid()}", null),
            };
            using var response = await browser.SendAsync(request);
            var expected = (i % 5) switch
            {
                0 => HttpStatusCode.Unauthorized,
                1 => HttpStatusCode.Redirect,
                2 => HttpStatusCode.BadRequest,
                _ => HttpStatusCode.NotFound,
            };
            Assert.Equal(expected, response.StatusCode);
            // Nothing signs the browser in.
            Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [],
                c => c.StartsWith(ApiKeyCookie.CookieName + "=", StringComparison.Ordinal));
            if (i % 5 == 1)
            {
                Assert.StartsWith("/login?returnUrl=", response.Headers.Location?.OriginalString);
            }
        }

        HttpRequestMessage SignIn(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/login")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["_handler"] = "login",
                    ["__RequestVerificationToken"] = token,
                    ["Key"] = key,
                }),
            };
            request.Headers.Add("Cookie", antiforgeryCookie);
            return request;
        }

        static HttpRequestMessage Get(string path, string? cookie)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", cookie);
            }
            return request;
        }

        // A warm-up first: the first few thousand requests fill caches and compile what later ones reuse.
        for (var i = 0; i < 2_000; i++)
        {
            await SendBadAsync(i);
        }
        var before = ManagedMemoryAfterFullCollection();
        for (var i = 0; i < Requests; i++)
        {
            await SendBadAsync(i);
        }
        var after = ManagedMemoryAfterFullCollection();
        output.WriteLine($"managed heap after a full collection: {before / 1048576.0:0.0} MiB before {Requests:N0} bad requests, {after / 1048576.0:0.0} MiB after");

        Assert.Equal(jobsBefore, (await factory.Store.ListJobsAsync(null, 100)).Count);
    }

    private static long ManagedMemoryAfterFullCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}

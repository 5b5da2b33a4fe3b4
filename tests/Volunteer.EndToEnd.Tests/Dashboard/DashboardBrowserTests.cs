using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using Volunteer.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (headless Debian Chromium through Playwright), served by a real coordinator process
/// while three real worker processes compute: what a scientist, an operator and a volunteer see, live, on a desktop and
/// on a phone, with no console errors. Every page's screenshot is written under the test output and its path printed.
/// </summary>
public sealed partial class DashboardBrowserTests : IClassFixture<DashboardFixture>, IDisposable
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly DashboardFixture _dashboard;
    private readonly ITestOutputHelper _output;
    private readonly IDisposable _outputScope;

    public DashboardBrowserTests(DashboardFixture dashboard, ITestOutputHelper output)
    {
        _dashboard = dashboard;
        _output = output;
        _outputScope = dashboard.OutputTo(output);
        // Pages render on a coordinator that shares two cores with the workers and the browser.
        SetDefaultExpectTimeout(15_000);
    }

    public void Dispose() => _outputScope.Dispose();

    [Fact]
    public Task The_overview_shows_every_figure_and_counts_validated_units_live_without_a_reload() =>
        _dashboard.RunAsync(_output, "overview-live", async session =>
        {
            var page = session.Page;
            await DashboardPages.GotoAsync(page, "/");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1, Name = "Overview" })).ToBeVisibleAsync();
            foreach (var name in DashboardPages.OverviewFigures)
            {
                await Expect(DashboardPages.Figure(page, name)).ToBeVisibleAsync();
            }
            await Expect(page.Locator("[aria-label^=\"Results validated per second\"]").First).ToBeVisibleAsync();

            // Units validated counts the running jobs' units: the job is frozen part done, so the figure holds still for
            // the page to show it.
            var before = await DashboardPages.FigureValueAsync(page, "units-validated") ?? 0;
            await session.MarkPageAsync();
            using var pause = _dashboard.PauseWorkers();
            var jobId = await _dashboard.SubmitAsync(DashboardFixture.LongPrimesJob);
            pause.Resume();
            await WaitForSomeAssimilatedAsync(jobId);
            using (_dashboard.PauseWorkers())
            {
                double? fastest = null;
                var after = await Eventually.WaitAsync(
                    $"the overview's units validated to rise from {before} and a rate of results above 0",
                    async () =>
                    {
                        var rate = await DashboardPages.FigureValueAsync(page, "results-per-second");
                        fastest = rate > (fastest ?? 0) ? rate : fastest;
                        var validated = await DashboardPages.FigureValueAsync(page, "units-validated");
                        return validated > before && fastest > 0 ? validated.Value.ToString(CultureInfo.InvariantCulture) : null;
                    },
                    () => _dashboard.Cluster.Diagnostics(),
                    JobTimeout,
                    Poll);
                await session.AssertNotReloadedAsync();
                _output.WriteLine($"units validated {before} -> {after} and results per second up to {fastest}, without a reload");
                await session.ScreenshotAsync("overview-live");
            }
            await _dashboard.WaitForCompletionAsync(jobId);
        });

    [Fact]
    public Task The_sign_in_refuses_a_wrong_key_and_keeps_the_right_one_in_a_secure_cookie() =>
        _dashboard.RunAsync(_output, "sign-in", async session =>
        {
            var page = session.Page;
            session.ExpectFailedLoad("/login", 401);
            await DashboardPages.GotoAsync(page, "/login");
            await session.ScreenshotAsync("login");

            await page.GetByLabel("API key").FillAsync("not-the-key-" + Guid.NewGuid().ToString("N"));
            var refusal = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
                r => r.Request.Method == "POST" && new Uri(r.Url).AbsolutePath == "/login");
            Assert.Equal(401, refusal.Status);
            await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
            Assert.Equal("/login", DashboardPages.PathOf(page));
            Assert.DoesNotContain(await session.Context.CookiesAsync(), c => c.Name == "volunteer-api-key");
            await session.ScreenshotAsync("login-refused");

            await page.GetByLabel("API key").FillAsync(_dashboard.Coordinator.ApiKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/jobs");
            var cookie = Assert.Single(await session.Context.CookiesAsync(), c => c.Name == "volunteer-api-key");
            Assert.True(cookie.HttpOnly, "The key's cookie is readable by scripts.");
            Assert.True(cookie.Secure, "The key's cookie may travel over plain HTTP.");
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
            Assert.DoesNotContain("volunteer-api-key", await page.EvaluateAsync<string>("() => document.cookie"), StringComparison.Ordinal);
        });

    [Fact]
    public Task Scientists_and_operators_pages_send_a_reader_who_has_not_signed_in_to_the_sign_in() =>
        _dashboard.RunAsync(_output, "sign-in-required", async session =>
        {
            var page = session.Page;
            foreach (var path in DashboardPages.OperatorPages.Append($"/jobs/{Guid.NewGuid()}"))
            {
                await DashboardPages.GotoAsync(page, path);
                Assert.Equal("/login", DashboardPages.PathOf(page));
                Assert.Equal(path, QueryHelpers.ParseQuery(new Uri(page.Url).Query)["returnUrl"].ToString());
                await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
            }
        });

    [Fact]
    public Task A_primes_jobs_progress_bar_reaches_100_percent_without_a_reload_and_its_detail_shows_the_prime_count() =>
        _dashboard.RunAsync(_output, "jobs-progress", async session =>
        {
            var page = session.Page;
            await _dashboard.SignInAsync(session);
            Guid jobId;
            using (var pause = _dashboard.PauseWorkers())
            {
                jobId = await _dashboard.SubmitAsync(DashboardFixture.PrimesJob);
                await DashboardPages.GotoAsync(page, "/jobs");
                var row = DashboardPages.JobRow(page, jobId);
                await Expect(row).ToBeVisibleAsync();
                await Expect(row.Locator("[data-job-percent]")).Not.ToHaveTextAsync("100%");
                await session.MarkPageAsync();
                pause.Resume();

                await Expect(row.Locator("[data-job-percent]")).ToHaveTextAsync("100%", new() { Timeout = (float)JobTimeout.TotalMilliseconds });
                var progress = row.Locator("progress[data-job-progress]");
                await Expect(progress).ToHaveJSPropertyAsync("value", 1);
                await Expect(progress).ToHaveAttributeAsync("aria-label", $"Progress of job {jobId.ToString()[..8]}");
                await session.AssertNotReloadedAsync();
                await session.ScreenshotAsync("jobs-progress");
            }

            await DashboardPages.GotoAsync(page, $"/jobs/{jobId}");
            await Expect(page.Locator("h1")).ToContainTextAsync("primes");
            await Expect(page.Locator("[data-job-state]")).ToHaveTextAsync("Completed", new() { Timeout = (float)JobTimeout.TotalMilliseconds });
            await Expect(page.Locator("[data-job-percent]")).ToHaveTextAsync("100%");
            var result = page.Locator("pre[data-job-result]");
            await Expect(result).ToBeVisibleAsync();
            using var shown = JsonDocument.Parse(await result.InnerTextAsync());
            Assert.Equal(DashboardFixture.PrimesBelowOneMillion, PrimeCount(shown.RootElement));
            await session.ScreenshotAsync("job-detail-primes");
        });

    [Fact]
    public Task A_mandelbrot_jobs_image_appears_on_its_detail_page_and_fills_in_as_tiles_arrive() =>
        _dashboard.RunAsync(_output, "mandelbrot-image", async session =>
        {
            var page = session.Page;
            await _dashboard.SignInAsync(session);
            var image = page.Locator("img[data-job-image]");
            using var pause = _dashboard.PauseWorkers();
            var jobId = await _dashboard.SubmitAsync(DashboardFixture.MandelbrotJob);
            await DashboardPages.GotoAsync(page, $"/jobs/{jobId}");
            await Expect(page.Locator("h1")).ToContainTextAsync("mandelbrot");
            await session.MarkPageAsync();

            // Let the workers compute until the first tiles are in, then freeze them again: the page shows part of the image.
            pause.Resume();
            await WaitForSomeAssimilatedAsync(jobId);
            string partial;
            using (var secondPause = _dashboard.PauseWorkers())
            {
                // Reports already sent are still validated and assimilated after the freeze.
                long assimilated = -1;
                await Eventually.WaitAsync(
                    "the coordinator to settle with the workers frozen",
                    async () =>
                    {
                        var first = (await _dashboard.Coordinator.GetJobAsync(jobId)).Assimilated;
                        await Task.Delay(TimeSpan.FromMilliseconds(500));
                        assimilated = (await _dashboard.Coordinator.GetJobAsync(jobId)).Assimilated;
                        return first == assimilated ? "settled" : null;
                    },
                    () => _dashboard.Cluster.Diagnostics(),
                    JobTimeout);
                Assert.True(assimilated < DashboardFixture.ImageTiles,
                    $"All {DashboardFixture.ImageTiles} tiles arrived before the workers could be frozen again: nothing to see fill in.");
                partial = await WaitForImageAsync(image, assimilated);
                _output.WriteLine($"partial image with {assimilated} of {DashboardFixture.ImageTiles} tiles: {partial}");
                await session.ScreenshotAsync("job-detail-mandelbrot-partial");
            }

            var whole = await WaitForImageAsync(image, DashboardFixture.ImageTiles);
            Assert.NotEqual(partial, whole);
            await Expect(page.Locator("[data-job-state]")).ToHaveTextAsync("Completed", new() { Timeout = (float)JobTimeout.TotalMilliseconds });
            await session.AssertNotReloadedAsync();
            await session.ScreenshotAsync("job-detail-mandelbrot");
        });

    [Fact]
    public Task On_a_phone_no_page_scrolls_sideways() =>
        _dashboard.RunAsync(_output, "phone", async session =>
        {
            var page = session.Page;
            await _dashboard.SignInAsync(session);
            var sideways = new List<string>();
            foreach (var (name, path) in await PagesAsync())
            {
                await VisitAsync(page, path);
                if (await DashboardPages.ScrollsSidewaysAsync(page))
                {
                    var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
                    sideways.Add($"{path} is {widths[0]} px wide in a {widths[1]} px window");
                }
                await session.ScreenshotAsync("phone-" + name);
            }
            Assert.True(sideways.Count == 0, "Pages that scroll sideways on a phone:\n" + string.Join("\n", sideways));
        }, BrowserSession.Phone);

    [Fact]
    public Task The_dark_theme_is_the_default_and_the_light_one_is_remembered() =>
        _dashboard.RunAsync(_output, "theme", async session =>
        {
            var page = session.Page;
            var html = page.Locator("html");
            // As served, before any script: dark.
            var served = await session.Context.APIRequest.GetAsync("/");
            Assert.Contains("<html lang=\"en\" data-theme=\"dark\">", await served.TextAsync(), StringComparison.Ordinal);
            await DashboardPages.GotoAsync(page, "/");
            await Expect(html).ToHaveAttributeAsync("data-theme", "dark");
            Assert.True(await BackgroundLightnessAsync(page) < 0.5, "The default theme's background is not dark.");

            await page.GetByRole(AriaRole.Button, new() { Name = DashboardPages.ThemeToggle }).ClickAsync();
            await Expect(html).ToHaveAttributeAsync("data-theme", "light");
            await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.NetworkIdle });
            await Expect(html).ToHaveAttributeAsync("data-theme", "light");
            Assert.True(await BackgroundLightnessAsync(page) > 0.5, "The light theme's background is not light after a reload.");
            await session.ScreenshotAsync("overview-light");

            await page.GetByRole(AriaRole.Button, new() { Name = DashboardPages.ThemeToggle }).ClickAsync();
            await Expect(html).ToHaveAttributeAsync("data-theme", "dark");
        });

    [Fact]
    public Task Every_page_renders_on_a_desktop_and_its_screenshot_is_written() =>
        _dashboard.RunAsync(_output, "pages", async session =>
        {
            var page = session.Page;
            await _dashboard.SignInAsync(session);
            var written = new List<string>();
            foreach (var (name, path) in await PagesAsync())
            {
                await VisitAsync(page, path);
                written.Add(await session.ScreenshotAsync(name));
            }
            Assert.All(written, path => Assert.True(new FileInfo(path).Length > 0, $"{path} is empty."));
        });

    /// <summary>Every page of the dashboard, with a finished job of each kind and a volunteer who computed them.</summary>
    private async Task<IReadOnlyList<(string Name, string Path)>> PagesAsync()
    {
        var primes = await _dashboard.FinishedPrimesJobAsync();
        var mandelbrot = await _dashboard.FinishedMandelbrotJobAsync();
        var volunteer = _dashboard.Cluster.Workers[0].AccountId;
        return
        [
            ("overview", "/"),
            ("jobs", "/jobs"),
            ("job-detail", $"/jobs/{primes}"),
            ("mandelbrot-detail", $"/jobs/{mandelbrot}"),
            ("volunteers", "/volunteers"),
            ("volunteer", $"/volunteers/{volunteer}"),
            ("hosts", "/hosts"),
            ("cluster", "/cluster"),
            ("login", "/login"),
        ];
    }

    /// <summary>Goes to a page, which must answer 2xx with a heading, and waits for any result image on it to load.</summary>
    private static async Task VisitAsync(IPage page, string path)
    {
        var response = await DashboardPages.GotoAsync(page, path);
        Assert.True(response.Ok, $"{path} answered {response.Status}.");
        await Expect(page.Locator("h1")).ToBeVisibleAsync();
        var image = page.Locator("img[data-job-image]");
        if (await image.CountAsync() > 0)
        {
            await AssertImageServedAsync(page, (await image.GetAttributeAsync("src"))!);
            await Expect(image).ToHaveJSPropertyAsync("naturalWidth", DashboardFixture.ImageSize);
        }
    }

    /// <summary>Polls the job's API view often until some of its units are assimilated (a job here takes a second or two).</summary>
    private Task WaitForSomeAssimilatedAsync(Guid jobId) => Eventually.WaitAsync(
        $"some of job {jobId}'s units to be assimilated",
        async () => (await _dashboard.Coordinator.GetJobAsync(jobId)).Assimilated > 0 ? "some" : null,
        () => _dashboard.Cluster.Diagnostics(),
        JobTimeout,
        TimeSpan.FromMilliseconds(20));

    /// <summary>
    /// Waits until the page shows the job's image at version <paramref name="tiles"/> (units assimilated), loaded at the
    /// job's width; returns its src.
    /// </summary>
    private async Task<string> WaitForImageAsync(ILocator image, long tiles)
    {
        var src = await Eventually.WaitAsync(
            $"the job's image with {tiles} tiles",
            async () => await image.CountAsync() == 1 && await image.GetAttributeAsync("src") is { } s && ImageVersion(s) == tiles ? s : null,
            () => _dashboard.Cluster.Diagnostics(),
            JobTimeout,
            Poll);
        await AssertImageServedAsync(image.Page, src);
        await Expect(image).ToHaveJSPropertyAsync("complete", true);
        await Expect(image).ToHaveJSPropertyAsync("naturalWidth", DashboardFixture.ImageSize);
        Assert.False(string.IsNullOrWhiteSpace(await image.GetAttributeAsync("alt")), "The job's image has no alt text.");
        return src;
    }

    /// <summary>The image's URL answers a PNG to this session (its cookie); if not, the answer is in the failure.</summary>
    private static async Task AssertImageServedAsync(IPage page, string src)
    {
        var answer = await page.Context.APIRequest.GetAsync(src);
        var type = answer.Headers.GetValueOrDefault("content-type");
        Assert.True(answer.Status == 200 && type == "image/png",
            $"{src} answered {answer.Status} {type}: {(type == "image/png" ? "" : await answer.TextAsync())}");
    }

    /// <summary>The <c>v</c> of /dashboard/jobs/{id}/image.png?v={assimilated units}.</summary>
    private static long? ImageVersion(string src) =>
        VersionParameter().Match(src) is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>The primeCount of the result as the page shows it: the result itself, or an object that holds it.</summary>
    private static long? PrimeCount(JsonElement shown)
    {
        if (shown.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var property in shown.EnumerateObject())
        {
            if (property.NameEquals("primeCount"))
            {
                return property.Value.GetInt64();
            }
            if (PrimeCount(property.Value) is { } nested)
            {
                return nested;
            }
        }
        return null;
    }

    /// <summary>The body's background lightness, 0 (black) to 1 (white).</summary>
    private static Task<double> BackgroundLightnessAsync(IPage page) => page.EvaluateAsync<double>("""
        () => {
          const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }
        """);

    [GeneratedRegex(@"[?&]v=(\d+)")]
    private static partial Regex VersionParameter();
}

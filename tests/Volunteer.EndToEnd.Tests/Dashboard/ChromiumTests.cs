using Microsoft.Playwright;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// The browser tests' ground: Playwright's bundled driver runs offline and drives Debian's Chromium (no browser
/// download), and the session's error collector and screenshots work, before any dashboard page is involved.
/// </summary>
public sealed class ChromiumTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Playwright_drives_debians_chromium_offline()
    {
        output.WriteLine($"Chromium {browser.Browser.Version} at {DebianChromium.ExecutablePath}; driver and browser pids {string.Join(", ", browser.ProcessIds)}");
        Assert.Equal(2, browser.ProcessIds.Count);
        await browser.RunAsync(output, "chromium", async session =>
        {
            await session.Page.SetContentAsync("""
                <!DOCTYPE html><html><body><h1>Offline</h1><button onclick="this.textContent = 'clicked'">Press</button></body></html>
                """);
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Press" }).ClickAsync();
            Assert.Equal("clicked", await session.Page.Locator("button").TextContentAsync());
            Assert.True(File.Exists(await session.ScreenshotAsync("chromium")));
        });
    }

    [Fact]
    public async Task The_session_collects_console_errors_and_uncaught_exceptions()
    {
        await using var session = await BrowserSession.OpenAsync(browser.Browser, output);
        await session.Page.SetContentAsync("<!DOCTYPE html><html><body><p>x</p></body></html>");
        await session.Page.EvaluateAsync("() => { console.error('logged on purpose'); setTimeout(() => { throw new Error('thrown on purpose'); }); }");
        await Eventually.UntilAsync("both errors", () => session.Errors.Count == 2, () => string.Join("\n", session.Errors), TimeSpan.FromSeconds(10));
        Assert.Contains(session.Errors, e => e.Contains("logged on purpose", StringComparison.Ordinal));
        Assert.Contains(session.Errors, e => e.Contains("thrown on purpose", StringComparison.Ordinal));
        Assert.Throws<Xunit.Sdk.TrueException>(session.AssertNoErrors);
    }
}

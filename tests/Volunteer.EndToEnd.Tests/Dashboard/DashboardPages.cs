using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// The dashboard as the browser tests see it: its pages' paths and the selectors its pages keep for these tests (see
/// the dashboard's conventions), in one place.
/// </summary>
public static partial class DashboardPages
{
    /// <summary>The overview's figures, each a <c>div.figure[data-figure=NAME]</c>.</summary>
    public static IReadOnlyList<string> OverviewFigures { get; } =
    [
        "hosts-now", "volunteers-now", "cores-now", "hosts-24h", "volunteers-24h", "results-per-second", "units-waiting",
        "units-in-progress", "units-validated", "jobs-running", "relay-share", "silos-up",
    ];

    /// <summary>The pages that need the API key; a reader who has not signed in is sent to the sign-in.</summary>
    public static IReadOnlyList<string> OperatorPages { get; } = ["/jobs", "/hosts", "/cluster"];

    public const string ThemeToggle = "Switch between dark and light theme";

    public static ILocator Figure(IPage page, string name) => page.Locator($"div.figure[data-figure=\"{name}\"]");

    /// <summary>A figure's value as a number ("1,234" or "12.5"); null while it shows none.</summary>
    public static async Task<double?> FigureValueAsync(IPage page, string name)
    {
        var text = await Figure(page, name).Locator("dd").InnerTextAsync();
        var match = LeadingNumber().Match(text.Replace(",", "", StringComparison.Ordinal).Replace("\u202f", "", StringComparison.Ordinal)
            .Replace("\u00a0", "", StringComparison.Ordinal));
        return match.Success ? double.Parse(match.Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>A job's row on /jobs.</summary>
    public static ILocator JobRow(IPage page, Guid jobId) => page.Locator($"table[aria-label=\"Jobs\"] tr[data-job-id=\"{jobId}\"]");

    /// <summary>Goes to <paramref name="path"/> and waits until the page has loaded and its requests have settled.</summary>
    public static async Task<IResponse> GotoAsync(IPage page, string path)
    {
        // Patience beyond Playwright's 30 s: a first page of the run, with the suite's other processes on both cores,
        // was once slower than that to settle (the page was right; it was late).
        var response = await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle, Timeout = 120_000 });
        Assert.True(response is not null, $"No response for {path}.");
        return response;
    }

    /// <summary>The page's path (no query), e.g. "/login".</summary>
    public static string PathOf(IPage page) => new Uri(page.Url).AbsolutePath;

    /// <summary>Whether the page is wider than the window (it would scroll sideways).</summary>
    public static Task<bool> ScrollsSidewaysAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex LeadingNumber();
}

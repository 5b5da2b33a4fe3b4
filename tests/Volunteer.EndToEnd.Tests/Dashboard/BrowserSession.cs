using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// One test's browser: a context of its own (no cookies or storage shared with another test) and its first page.
/// Collects every console error and uncaught page error, and writes screenshots under the test output, printing
/// their paths.
/// </summary>
public sealed partial class BrowserSession : IAsyncDisposable
{
    /// <summary>
    /// A desktop window whose system does not prefer light. Chromium no longer has a "no preference" (emulating it
    /// reports light, as Playwright's default does), so the reader who never chose is emulated as one who prefers dark.
    /// </summary>
    public static BrowserNewContextOptions Desktop => new()
    {
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        ColorScheme = ColorScheme.Dark,
    };

    /// <summary>A phone (iPhone 12-14 width), touch, not preferring light.</summary>
    public static BrowserNewContextOptions Phone => new()
    {
        ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
        ColorScheme = ColorScheme.Dark,
    };

    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
    private readonly List<(string Path, int Status)> _expectedFailures = [];
    private readonly ITestOutputHelper _output;

    private BrowserSession(IBrowserContext context, IPage page, ITestOutputHelper output)
    {
        Context = context;
        Page = page;
        _output = output;
    }

    /// <summary>Where screenshots go: TestResults/dashboard-screenshots beside the test assembly.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard-screenshots");

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Console messages of type error and uncaught exceptions, on any page of the context, in order.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>
    /// An HTTP error the test asks for (e.g. the sign-in's 401): Chromium logs "Failed to load resource" for it, which
    /// is then not counted as an error.
    /// </summary>
    public void ExpectFailedLoad(string path, int status)
    {
        lock (_gate)
        {
            _expectedFailures.Add((path, status));
        }
    }

    public static async Task<BrowserSession> OpenAsync(IBrowser browser, ITestOutputHelper output, BrowserNewContextOptions? options = null)
    {
        var context = await browser.NewContextAsync(options ?? Desktop);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page, output);
        session.Watch(page);
        context.Page += (_, opened) => session.Watch(opened);
        return session;
    }

    /// <summary>A full-page screenshot as TestResults/dashboard-screenshots/<paramref name="name"/>.png; prints and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        _output.WriteLine($"screenshot {name}: {path}");
        return path;
    }

    /// <summary>Fails with every console error and page error seen, with the page they came from.</summary>
    public void AssertNoErrors()
    {
        var errors = Errors;
        Assert.True(errors.Count == 0, $"The browser reported {errors.Count} errors:\n{string.Join("\n", errors)}");
    }

    /// <summary>Sets a mark on the page's window: it is gone if the page reloads or the browser navigates away.</summary>
    public Task MarkPageAsync() => Page.EvaluateAsync("() => { window.__volunteerMarker = 'not reloaded'; }");

    /// <summary>Asserts the mark <see cref="MarkPageAsync"/> set is still there.</summary>
    public async Task AssertNotReloadedAsync() =>
        Assert.Equal("not reloaded", await Page.EvaluateAsync<string?>("() => window.__volunteerMarker ?? null"));

    public ValueTask DisposeAsync() => new(Context.CloseAsync());

    private void Watch(IPage page)
    {
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsExpected(message))
            {
                Add($"console error on {page.Url}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Add($"page error on {page.Url}: {error}");
    }

    private bool IsExpected(IConsoleMessage message)
    {
        // The location is the resource's URL with ":line:column" after it.
        if (!message.Text.StartsWith("Failed to load resource: the server responded with a status of ", StringComparison.Ordinal)
            || LineAndColumn().Match(message.Location) is not { Success: true } location
            || !Uri.TryCreate(location.Groups["url"].Value, UriKind.Absolute, out var url))
        {
            return false;
        }
        lock (_gate)
        {
            return _expectedFailures.Any(f => url.AbsolutePath == f.Path
                && message.Text.Contains($"status of {f.Status} ", StringComparison.Ordinal));
        }
    }

    private void Add(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }

    [GeneratedRegex(@"^(?<url>.*):\d+:\d+$")]
    private static partial Regex LineAndColumn();
}

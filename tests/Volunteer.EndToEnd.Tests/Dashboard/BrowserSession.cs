using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// One test's browser: a context of its own (no cookies or storage shared with another test) and its first page.
/// Collects every console error and uncaught page error, and writes screenshots under the test output, printing
/// their paths.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>A desktop window; the readers' preferred scheme is left unsaid, so the dashboard's own default shows.</summary>
    public static BrowserNewContextOptions Desktop => new()
    {
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        ColorScheme = ColorScheme.NoPreference,
    };

    /// <summary>A phone (iPhone 12-14 width), touch, no preferred scheme.</summary>
    public static BrowserNewContextOptions Phone => new()
    {
        ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
        ColorScheme = ColorScheme.NoPreference,
    };

    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
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
            if (message.Type == "error")
            {
                Add($"console error on {page.Url}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Add($"page error on {page.Url}: {error}");
    }

    private void Add(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }
}

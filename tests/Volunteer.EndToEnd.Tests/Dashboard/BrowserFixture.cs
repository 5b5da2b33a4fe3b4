using System.Globalization;
using Microsoft.Playwright;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// One Playwright driver and one headless Debian Chromium, shared by the tests of a class; each test opens a browser
/// context of its own (<see cref="BrowserSession"/>). Disposal closes the browser, then kills by process id whatever
/// of the driver and the browser is still alive.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly List<int> _processIds = [];

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not been launched.");

    /// <summary>The process ids of the Playwright driver and of Chromium's browser process.</summary>
    public IReadOnlyList<int> ProcessIds => _processIds;

    public async Task InitializeAsync()
    {
        var before = ChildProcessIds();
        _playwright = await Playwright.CreateAsync();
        // The driver (node) is the child of this process that was not there before.
        _processIds.AddRange(ChildProcessIds().Except(before));
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DebianChromium.ExecutablePath,
            Args = DebianChromium.Arguments,
            Headless = true,
        });
        _processIds.Add(await BrowserProcessIdAsync(_browser));
    }

    /// <summary>
    /// Runs <paramref name="test"/> in a browser context of its own. If it fails, a screenshot of the page as it was
    /// ("NAME-failed") and the browser's errors go to the test output; if it passes, it still fails on any console
    /// error or page error the browser reported.
    /// </summary>
    public async Task RunAsync(ITestOutputHelper output, string name, Func<BrowserSession, Task> test, BrowserNewContextOptions? options = null)
    {
        await using var session = await BrowserSession.OpenAsync(Browser, output, options);
        try
        {
            await test(session);
        }
        catch
        {
            try
            {
                await session.ScreenshotAsync(name + "-failed");
            }
            catch (PlaywrightException ex)
            {
                output.WriteLine($"No screenshot of the failure: {ex.Message}");
            }
            foreach (var error in session.Errors)
            {
                output.WriteLine(error);
            }
            throw;
        }
        session.AssertNoErrors();
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_browser is not null)
            {
                await _browser.CloseAsync().WaitAsync(CloseGrace);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            // Killed below.
        }
        _playwright?.Dispose();
        foreach (var id in _processIds)
        {
            KillIfAlive(id);
        }
    }

    /// <summary>Chromium's browser process, as it reports itself over the DevTools protocol.</summary>
    private static async Task<int> BrowserProcessIdAsync(IBrowser browser)
    {
        var session = await browser.NewBrowserCDPSessionAsync();
        try
        {
            var info = await session.SendAsync("SystemInfo.getProcessInfo");
            return info!.Value.GetProperty("processInfo").EnumerateArray()
                .First(p => p.GetProperty("type").GetString() == "browser")
                .GetProperty("id").GetInt32();
        }
        finally
        {
            await session.DetachAsync();
        }
    }

    /// <summary>The ids of this process's children, from /proc.</summary>
    private static HashSet<int> ChildProcessIds()
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var children = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // The parent's id is the second field after the command name, which may contain spaces.
                if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == self)
                {
                    children.Add(id);
                }
            }
            catch (IOException)
            {
                // It ended while we looked.
            }
        }
        return children;
    }

    private static void KillIfAlive(int id)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(id);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // It has exited.
        }
    }
}

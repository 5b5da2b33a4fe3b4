using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Playwright;
using Volunteer.DashboardViewers;
using Volunteer.Testing;

// Dashboard viewers: N pages of one headless Debian Chromium on a dashboard page (the overview by default), each a live
// Blazor circuit over a WebSocket of its own, held open while infra/bench-dashboard.sh measures what they cost the
// coordinator. Prints "viewers-open N" once every circuit is connected, then every 10 s what the circuits received;
// closes the browser and exits --hold seconds after they are all open, or at SIGTERM / SIGINT.
var options = ViewerOptions.Parse(args);
var invariant = CultureInfo.InvariantCulture;
using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

using var playwright = await Playwright.CreateAsync();
var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = DebianChromium.ExecutablePath,
    Args = DebianChromium.Arguments,
    Headless = true,
});
var traffic = new ViewerTraffic();
try
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions
    {
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        ColorScheme = ColorScheme.Dark,
    });
    var opening = Stopwatch.StartNew();
    using (var gate = new SemaphoreSlim(options.Parallel))
    {
        await Task.WhenAll(Enumerable.Range(0, options.Viewers).Select(async _ =>
        {
            await gate.WaitAsync(stop.Token);
            try
            {
                await OpenViewerAsync(context);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
    Console.WriteLine(string.Create(invariant,
        $"viewers-open {traffic.Open} of {options.Viewers} on {options.Url} in {opening.Elapsed.TotalSeconds:0.0} s; {traffic.Errors.Count} browser errors"));
    stop.CancelAfter(options.Hold);
    traffic.Take();
    var interval = Stopwatch.StartNew();
    while (!stop.IsCancellationRequested)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The hold is over, or we were told to stop: report the last part too.
        }
        var (frames, bytes) = traffic.Take();
        var seconds = interval.Elapsed.TotalSeconds;
        interval.Restart();
        var open = Math.Max(1, traffic.Open);
        Console.WriteLine(string.Create(invariant,
            $"live: {traffic.Open} circuits open; per viewer {frames / seconds / open:0.00} frames/s, {bytes / seconds / open / 1024:0.00} KiB/s received; {traffic.Errors.Count} browser errors"));
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine("stopped before every viewer was open");
}
finally
{
    foreach (var error in traffic.Errors.Take(10))
    {
        Console.WriteLine($"browser error: {error}");
    }
    await browser.CloseAsync();
}
Console.WriteLine("viewers closed");
return traffic.Errors.Count == 0 ? 0 : 1;

void Stop(PosixSignalContext signal)
{
    signal.Cancel = true;
    stop.Cancel();
}

// A new tab on the page; done once its circuit's WebSocket is connected.
async Task OpenViewerAsync(IBrowserContext context)
{
    var page = await context.NewPageAsync();
    page.Console += (_, message) =>
    {
        if (message.Type == "error")
        {
            traffic.Error($"{message.Text} ({message.Location})");
        }
    };
    page.PageError += (_, error) => traffic.Error(error);
    var circuit = await page.RunAndWaitForWebSocketAsync(
        () => page.GotoAsync(options.Url.ToString()),
        new PageRunAndWaitForWebSocketOptions { Predicate = s => s.Url.Contains("/_blazor", StringComparison.Ordinal), Timeout = 120_000 });
    traffic.Opened();
    circuit.FrameReceived += (_, frame) => traffic.Received(frame.Binary?.Length ?? frame.Text?.Length ?? 0);
    circuit.Close += (_, _) => traffic.Closed();
}

using System.Text.Json;
using Microsoft.Playwright;
using Volunteer.Apps.Mandelbrot;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// What the dashboard's browser tests share: one real coordinator process with three real worker processes running
/// (attached with anonymous accounts of their own, computing whatever is submitted), and one headless Chromium. Each test
/// opens a browser context of its own. Jobs whose progress a test watches are its own; finished jobs to look at are
/// made once, by the first test that asks.
/// </summary>
public sealed class DashboardFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    /// <summary>π(10^6), the primes below a million (a fact nobody here invented).</summary>
    public const long PrimesBelowOneMillion = 78_498;

    /// <summary>The mandelbrot jobs' image: 512×512 pixels in 128-pixel tiles, 16 units.</summary>
    public const int ImageSize = 512;

    public const int ImageTiles = 16;

    private readonly SharedOutput _output = new(diagnostics);
    private readonly BrowserFixture _browser = new();
    private VolunteerCluster? _cluster;
    private Task<Guid>? _finishedPrimes;
    private Task<Guid>? _finishedMandelbrot;

    public VolunteerCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public CoordinatorProcess Coordinator => Cluster.Coordinator;

    /// <summary>The coordinator's address, where every silo serves the dashboard at /.</summary>
    public Uri BaseAddress => Coordinator.BaseAddress;

    /// <summary>A primes job over [0, 10^6) in ten units with quorum 2.</summary>
    public static object PrimesJob => Primes(units: 10);

    /// <summary>
    /// A primes job in a hundred units with quorum 2: for a test that freezes the workers once some of it is assimilated
    /// and needs it still running then. The ten units of <see cref="PrimesJob"/> were all done 110 ms after the first was
    /// assimilated, sooner than a loaded test machine froze the workers.
    /// </summary>
    public static object LongPrimesJob => Primes(units: 100);

    private static object Primes(int units) => new
    {
        app = "primes",
        parameters = new { from = 0, to = units * 100_000, unitSize = 100_000 },
        redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 3, maxTotalResults = 6 },
    };

    /// <summary>A 512×512 mandelbrot in 16 tiles of 128 pixels, every tile computed twice.</summary>
    public static object MandelbrotJob => new
    {
        app = MandelbrotApp.AppName,
        parameters = JsonSerializer.SerializeToElement(new
        {
            centerX = -0.7436,
            centerY = 0.1318,
            scale = 0.02,
            width = ImageSize,
            height = ImageSize,
            maxIterations = 300,
            tileSize = 128,
        }),
        redundancy = new { targetResults = 2, minQuorum = 2 },
        adaptive = false,
    };

    public async Task InitializeAsync()
    {
        _cluster = await VolunteerCluster.StartAsync(_output, workerCount: 3);
        _cluster.StartWorkers();
        await _browser.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Sends the processes' diagnostics to this test's output while it runs.</summary>
    public IDisposable OutputTo(ITestOutputHelper output) => _output.To(output);

    /// <summary>
    /// Runs <paramref name="test"/> in a browser context of its own whose relative URLs go to the coordinator (see
    /// <see cref="BrowserFixture.RunAsync"/>: a screenshot on failure, no browser errors on success).
    /// </summary>
    public Task RunAsync(ITestOutputHelper output, string name, Func<BrowserSession, Task> test, BrowserNewContextOptions? options = null)
    {
        var context = options ?? BrowserSession.Desktop;
        context.BaseURL = BaseAddress.ToString();
        return _browser.RunAsync(output, name, test, context);
    }

    /// <summary>Signs the session in as the sign-in page would: the API key in its HttpOnly, Secure, SameSite=Strict cookie.</summary>
    public Task SignInAsync(BrowserSession session) => session.Context.AddCookiesAsync(
    [
        new Cookie
        {
            Name = "volunteer-api-key",
            Value = Coordinator.ApiKey,
            Url = BaseAddress.GetLeftPart(UriPartial.Authority),
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteAttribute.Strict,
        },
    ]);

    /// <summary>Freezes every worker (SIGSTOP) until the returned pause is resumed or disposed: a job submitted now waits.</summary>
    public WorkersPause PauseWorkers() => new(Cluster.Workers);

    /// <summary>Submits a job through the API; its unfinished units show in the diagnostics.</summary>
    public async Task<Guid> SubmitAsync(object job) => (await Cluster.SubmitAsync(Coordinator, job)).Id;

    /// <summary>Waits for the job to finish and fails unless it completed.</summary>
    public async Task WaitForCompletionAsync(Guid jobId)
    {
        var finished = await Cluster.WaitForJobAsync(Coordinator, jobId);
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{Cluster.Diagnostics()}");
    }

    /// <summary>A completed primes job (<see cref="PrimesJob"/>), made once for the tests that only look at one.</summary>
    public Task<Guid> FinishedPrimesJobAsync() => _finishedPrimes ??= SubmitAndFinishAsync(PrimesJob);

    /// <summary>A completed mandelbrot job (<see cref="MandelbrotJob"/>), made once for the tests that only look at one.</summary>
    public Task<Guid> FinishedMandelbrotJobAsync() => _finishedMandelbrot ??= SubmitAndFinishAsync(MandelbrotJob);

    private async Task<Guid> SubmitAndFinishAsync(object job)
    {
        var id = await SubmitAsync(job);
        await WaitForCompletionAsync(id);
        return id;
    }
}

/// <summary>Every worker frozen (SIGSTOP) from creation until <see cref="Resume"/> or disposal thaws them (SIGCONT).</summary>
public sealed class WorkersPause : IDisposable
{
    private readonly IReadOnlyList<int> _processIds;
    private bool _resumed;

    public WorkersPause(IEnumerable<WorkerProcess> workers)
    {
        _processIds = workers.Select(w => w.ProcessId).ToList();
        foreach (var id in _processIds)
        {
            PosixSignals.Stop(id);
        }
    }

    public void Resume()
    {
        if (_resumed)
        {
            return;
        }
        _resumed = true;
        foreach (var id in _processIds)
        {
            PosixSignals.Continue(id);
        }
    }

    public void Dispose() => Resume();
}

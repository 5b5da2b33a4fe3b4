using System.Diagnostics;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// Coordinator processes (one Orleans silo each) and worker processes on loopback, in a temporary folder of
/// their own, over a store the subclass provides. Worker i lists every coordinator, starting from coordinator i,
/// and connects from a loopback /24 of its own with an anonymous account of its own: to the coordinators the
/// workers are hosts of different volunteers on different networks, as replica placement requires.
/// Disposing kills every process by its id (workers first), writes their log tails and what the store holds
/// to the test output, and deletes the folder, whatever the outcome.
/// </summary>
public abstract class ProcessCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _root;

    /// <param name="purpose">Names the folder and the API key, e.g. "e2e".</param>
    /// <param name="coordinatorNames">One coordinator process per name; its data folder has the same name.</param>
    /// <param name="coordinatorSettings">The coordinators' settings (environment variables): what selects their store, and any a test needs.</param>
    protected ProcessCluster(ITestOutputHelper output, string purpose, IEnumerable<string> coordinatorNames, int workerCount,
        IReadOnlyDictionary<string, string> coordinatorSettings)
    {
        _output = output;
        _root = TestFolders.Create(purpose);
        var apiKey = $"{purpose}-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>(coordinatorSettings)
        {
            // A lease past its deadline comes back within a second, not the production five.
            ["Volunteer__LeaseSweepInterval"] = "00:00:01",
            // Timestamps in the coordinators' logs, to line them up with the workers' logs in failure messages.
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        Silos = coordinatorNames.Select(name => new CoordinatorProcess(name, Path.Combine(_root, name), apiKey, settings)).ToList();
        Workers = Enumerable.Range(1, workerCount)
            .Select(i => new WorkerProcess($"w{i}", Path.Combine(_root, $"w{i}"), _root, LoopbackSources.Next()))
            .ToList();
    }

    /// <summary>The coordinator processes, in the order they were first started.</summary>
    public IReadOnlyList<CoordinatorProcess> Silos { get; }

    public IReadOnlyList<WorkerProcess> Workers { get; }

    /// <summary>The job submitted last, whose unfinished units <see cref="Diagnostics"/> describes.</summary>
    protected Guid? JobId { get; private set; }

    public void StartWorkers()
    {
        foreach (var worker in Workers)
        {
            worker.Start();
        }
    }

    /// <summary>
    /// Starts the workers and waits for their <paramref name="count"/>th acknowledged report in all. The moment
    /// it arrives, <paramref name="atCount"/> runs on the log reader's thread, so a fault it injects lands surely
    /// mid-job; <paramref name="later"/> runs for each report acknowledged after it. Returns the reports
    /// acknowledged up to then.
    /// </summary>
    public async Task<IReadOnlyList<AcknowledgedReport>> StartWorkersAsync(int count, Action atCount, Action<WorkerProcess>? later = null)
    {
        var gate = new Lock();
        var acknowledged = 0;
        var reached = new TaskCompletionSource<IReadOnlyList<AcknowledgedReport>>(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var worker in Workers)
        {
            worker.OnAcknowledged = (w, _) =>
            {
                lock (gate)
                {
                    if (++acknowledged == count)
                    {
                        atCount();
                        reached.TrySetResult(AllAcknowledged());
                    }
                    else if (acknowledged > count)
                    {
                        later?.Invoke(w);
                    }
                }
            };
        }
        StartWorkers();
        try
        {
            return await reached.Task.WaitAsync(Eventually.DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"Timed out after {Eventually.DefaultTimeout.TotalSeconds:0} s waiting for {count} acknowledged reports.\n{Diagnostics()}");
        }
    }

    public IReadOnlyList<AcknowledgedReport> AllAcknowledged() => Workers.SelectMany(w => w.Acknowledged).ToList();

    /// <summary>Submits a job through <paramref name="coordinator"/>; its unfinished units then show in <see cref="Diagnostics"/>.</summary>
    public async Task<JobSnapshot> SubmitAsync(CoordinatorProcess coordinator, object submission)
    {
        var job = await coordinator.SubmitJobAsync(submission);
        JobId = job.Id;
        Log($"submitted through {coordinator.Name}: {job}");
        return job;
    }

    /// <summary>Polls the job through <paramref name="coordinator"/> until it has finished (in any state); fails on the deadline with the logs.</summary>
    public Task<JobSnapshot> WaitForJobAsync(CoordinatorProcess coordinator, Guid jobId, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(
            $"job {jobId} to finish",
            async () =>
            {
                var job = await coordinator.GetJobAsync(jobId);
                return job.IsFinished ? job : null;
            },
            () => Diagnostics(),
            timeout,
            TimeSpan.FromMilliseconds(250));

    /// <summary>Which leases timed out (e.g. granted in a sync whose answer a kill cut off), by unit and worker.</summary>
    public string DescribeTimedOut(IReadOnlyList<ReplicaRow> replicas)
    {
        var timedOut = replicas.Where(r => r.State == "TimedOut").ToList();
        return timedOut.Count == 0
            ? "no lease timed out"
            : $"{timedOut.Count} leases timed out: " + string.Join(", ", timedOut.Select(r =>
                $"unit {r.UnitIndex} #{r.Replica} of {Workers.FirstOrDefault(w => w.WorkerId == r.WorkerId)?.Name ?? r.WorkerId.ToString()}"));
    }

    /// <summary>The log tails of every process and what the store holds, for failure messages. Never throws.</summary>
    public string Diagnostics(int lines = 30) =>
        string.Join(Environment.NewLine, Silos.Select(s => s.Tail(lines))
            .Concat(Workers.Select(w => w.Tail(lines)))
            .Append(DescribeStore()));

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.00} s] {message}");

    /// <summary>Kills every process (workers first), keeps the log tails in the test output, deletes the folder. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var process in Workers.Cast<RestartableProcess>().Concat(Silos))
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception ex)
            {
                // Disposal must not hide the test's own outcome.
                _output.WriteLine($"Disposal failed: {ex}");
            }
        }
        try
        {
            // On a failure these are the first thing to read.
            _output.WriteLine(Diagnostics(25));
        }
        catch (Exception ex)
        {
            _output.WriteLine($"No diagnostics: {ex.Message}");
        }
        await DisposeStoreAsync(_output);
        TestFolders.Delete(_root, _output);
    }

    /// <summary>
    /// Starts the coordinators one after another, then attaches (but does not yet run) the workers. If any of
    /// it fails, everything is disposed.
    /// </summary>
    protected async Task StartProcessesAsync()
    {
        try
        {
            foreach (var silo in Silos)
            {
                await silo.StartAsync();
            }
            await Task.WhenAll(Workers.Select((w, i) => w.AttachAsync(UrlsFrom(i))));
            Log($"coordinators up ({RepoLayout.Configuration}): " +
                string.Join(", ", Silos.Select(s => $"{s.Name}={s.BaseAddress} silo port {s.SiloPort}")));
            if (Workers.Count > 0)
            {
                Log($"{Workers.Count} workers attached: " +
                    string.Join(", ", Workers.Select((w, i) =>
                        $"{w.Name}={w.WorkerId} (account {w.AccountId}) from {w.SourceAddress} first to {Silos[i % Silos.Count].Name}")));
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>For failure messages: what the store holds of the job's unfinished units, and more. Never throws.</summary>
    protected abstract string DescribeStore();

    /// <summary>Removes whatever of the store lives outside the cluster's folder. Never throws.</summary>
    protected virtual Task DisposeStoreAsync(ITestOutputHelper output) => Task.CompletedTask;

    /// <summary>Every coordinator's URL, starting from coordinator <paramref name="first"/> (modulo their count).</summary>
    private Uri[] UrlsFrom(int first) =>
        Enumerable.Range(0, Silos.Count).Select(k => Silos[(first + k) % Silos.Count].BaseAddress).ToArray();
}

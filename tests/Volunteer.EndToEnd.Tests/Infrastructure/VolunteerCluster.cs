using System.Diagnostics;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// One coordinator process and some worker processes on loopback, in a temporary folder of their own.
/// Disposing kills every process it started (by process id) and deletes the folder, whatever the outcome.
/// </summary>
public sealed class VolunteerCluster : IAsyncDisposable
{
    /// <summary>The primes below 10^7 (a fact nobody here invented).</summary>
    public const long PrimesBelowTenMillion = 664_579;

    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Guid? _jobId;

    private VolunteerCluster(ITestOutputHelper output, string root, CoordinatorProcess coordinator, IReadOnlyList<WorkerProcess> workers)
    {
        _output = output;
        Root = root;
        Coordinator = coordinator;
        Workers = workers;
    }

    public string Root { get; }

    public CoordinatorProcess Coordinator { get; }

    public IReadOnlyList<WorkerProcess> Workers { get; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts the coordinator and attaches (but does not yet run) <paramref name="workerCount"/> workers.</summary>
    public static async Task<VolunteerCluster> StartAsync(ITestOutputHelper output, int workerCount)
    {
        var root = Path.Combine(Path.GetTempPath(), "volunteer-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var coordinator = new CoordinatorProcess(Path.Combine(root, "coordinator-data"), TimeSpan.FromSeconds(1));
        var workers = Enumerable.Range(1, workerCount)
            .Select(i => new WorkerProcess($"w{i}", Path.Combine(root, $"w{i}"), root))
            .ToList();
        var cluster = new VolunteerCluster(output, root, coordinator, workers);
        try
        {
            await coordinator.StartAsync();
            await Task.WhenAll(workers.Select(w => w.AttachAsync(coordinator.BaseAddress)));
            cluster.Log($"coordinator up at {coordinator.BaseAddress} ({RepoLayout.Configuration}); {workerCount} workers attached: " +
                string.Join(", ", workers.Select(w => $"{w.Name}={w.WorkerId}")));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A primes job over [0, 10^7) with quorum 2.</summary>
    public static object PrimesJob(long unitSize, int? deadlineSeconds = null) => new
    {
        app = "primes",
        parameters = new { from = 0, to = 10_000_000, unitSize },
        redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 3, maxTotalResults = 6 },
        deadlineSeconds,
    };

    public void StartWorkers()
    {
        foreach (var worker in Workers)
        {
            worker.Start();
        }
    }

    public IReadOnlyList<AcknowledgedReport> AllAcknowledged() => Workers.SelectMany(w => w.Acknowledged).ToList();

    /// <summary>The log tails of every process (and what the store holds of unfinished units), for failure messages.</summary>
    public string Diagnostics(int lines = 30)
    {
        var parts = new List<string> { Coordinator.Tail(lines) };
        parts.AddRange(Workers.Select(w => w.Tail(lines)));
        if (_jobId is { } jobId && File.Exists(Coordinator.DatabasePath))
        {
            parts.Add(VolunteerDatabase.DescribeOpenUnits(Coordinator.DatabasePath, jobId));
        }
        return string.Join(Environment.NewLine, parts);
    }

    /// <summary>Which leases timed out (e.g. granted in a sync whose answer a kill cut off), by unit and worker.</summary>
    public string DescribeTimedOut(IReadOnlyList<ReplicaRow> replicas)
    {
        var timedOut = replicas.Where(r => r.State == "TimedOut").ToList();
        return timedOut.Count == 0
            ? "no lease timed out"
            : $"{timedOut.Count} leases timed out: " + string.Join(", ", timedOut.Select(r =>
                $"unit {r.UnitIndex} #{r.Replica} of {Workers.FirstOrDefault(w => w.WorkerId == r.WorkerId)?.Name ?? r.WorkerId.ToString()}"));
    }

    /// <summary>Submits a job through the coordinator; its unfinished units then show in <see cref="Diagnostics"/>.</summary>
    public async Task<JobSnapshot> SubmitAsync(object submission)
    {
        var job = await Coordinator.SubmitJobAsync(submission);
        _jobId = job.Id;
        Log($"submitted {job}");
        return job;
    }

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.00} s] {message}");

    /// <summary>Kills every process, keeps their log tails in the test output, deletes the folder. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var process in Workers.Cast<IAsyncDisposable>().Append(Coordinator))
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
        TestFolders.Delete(Root, _output);
    }
}


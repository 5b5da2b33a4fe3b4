using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// The coordinator as a separate process on loopback, with its own data folder and ports. It can be
/// killed (SIGKILL) and started again on the same data folder and ports; every generation's log is kept.
/// Given a PostgreSQL connection string and cluster settings, it is one silo of a cluster.
/// </summary>
public sealed class CoordinatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ChildProcess> _generations = [];
    private readonly HttpClient _http;
    private readonly int _siloPort;
    private readonly int _gatewayPort;
    private readonly TimeSpan _leaseSweepInterval;
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Extra configuration as environment variables (e.g. a PostgreSQL connection string).</param>
    /// <param name="apiKey">The bootstrap API key; silos of one cluster share one.</param>
    public CoordinatorProcess(string dataDirectory, TimeSpan leaseSweepInterval,
        IReadOnlyDictionary<string, string>? settings = null, string? apiKey = null, string name = "coordinator")
    {
        DataDirectory = dataDirectory;
        _leaseSweepInterval = leaseSweepInterval;
        _settings = settings ?? new Dictionary<string, string>();
        Name = name;
        var ports = FreePort.Next(3);
        BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}/");
        _siloPort = ports[1];
        _gatewayPort = ports[2];
        ApiKey = apiKey ?? "e2e-" + Guid.NewGuid().ToString("N");
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public Uri BaseAddress { get; }

    public string Name { get; }

    public int SiloPort => _siloPort;

    public bool IsRunning => _generations.Count > 0 && !_generations[^1].HasExited;

    public string ApiKey { get; }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "volunteer.db");

    /// <summary>Every log line of the current (last started) process so far.</summary>
    public IReadOnlyList<string> Lines => _generations.Count == 0 ? [] : _generations[^1].Lines;

    /// <summary>How many times the process was started.</summary>
    public int Generation => _generations.Count;

    /// <summary>Starts a coordinator process and waits until /health answers 200.</summary>
    public async Task StartAsync()
    {
        if (_generations.Count > 0 && !_generations[^1].HasExited)
        {
            throw new InvalidOperationException("The coordinator is already running.");
        }
        var environment = new Dictionary<string, string>
        {
            ["Volunteer__ApiKey"] = ApiKey,
            ["Volunteer__DataDirectory"] = DataDirectory,
            ["Volunteer__LeaseSweepInterval"] = _leaseSweepInterval.ToString("c"),
            ["Orleans__SiloPort"] = _siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = _gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in _settings)
        {
            environment[key] = value;
        }
        var process = ChildProcess.Start(
            $"{Name}#{_generations.Count + 1}",
            RepoLayout.DotnetHost,
            [RepoLayout.CoordinatorDll, "--urls", BaseAddress.GetLeftPart(UriPartial.Authority)],
            // Its own folder is the content root, so its appsettings.json applies as in an installation.
            RepoLayout.CoordinatorDirectory,
            environment);
        _generations.Add(process);

        await Eventually.WaitAsync(
            $"the coordinator (generation {Generation}) to answer /health",
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The coordinator exited during start-up.\n{process.Tail(80)}");
                }
                using var response = await _http.GetAsync(new Uri("health", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK ? "healthy" : null;
            },
            () => process.Tail(80),
            StartTimeout,
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>SIGKILL without waiting; safe to call from a log callback. Follow with <see cref="KillAsync"/>.</summary>
    public void KillNow()
    {
        if (_generations.Count > 0)
        {
            _generations[^1].Kill();
        }
    }

    /// <summary>kill -9: the process gets no chance to flush, finish requests or shut down.</summary>
    public async Task KillAsync()
    {
        if (_generations.Count > 0)
        {
            await _generations[^1].KillAsync();
        }
    }

    public async Task<JobSnapshot> SubmitJobAsync(object submission)
    {
        using var response = await _http.PostAsJsonAsync(new Uri("api/v1/jobs", UriKind.Relative), submission);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"POST /api/v1/jobs answered {(int)response.StatusCode}: {body}\n{Tail()}");
        Assert.NotNull(response.Headers.Location);
        return JobSnapshot.Parse(body);
    }

    public async Task<JobSnapshot> GetJobAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri($"api/v1/jobs/{jobId}", UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET /api/v1/jobs/{jobId} answered {(int)response.StatusCode}: {body}");
        }
        return JobSnapshot.Parse(body);
    }

    /// <summary>Polls the job until it has finished (in any state); fails on the deadline with the logs.</summary>
    public Task<JobSnapshot> WaitForJobToFinishAsync(Guid jobId, Func<string> diagnostics, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(
            $"job {jobId} to finish",
            async () =>
            {
                var job = await GetJobAsync(jobId);
                return job.IsFinished ? job : null;
            },
            diagnostics,
            timeout,
            TimeSpan.FromMilliseconds(250));

    /// <summary>GET /api/v1/jobs/{id}/result: the job id, app and result JSON.</summary>
    public async Task<(Guid JobId, string App, JsonElement Result)> GetResultAsync(Guid jobId)
    {
        using var response = await _http.GetAsync(new Uri($"api/v1/jobs/{jobId}/result", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/v1/jobs/{jobId}/result answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        return (root.GetProperty("jobId").GetGuid(), root.GetProperty("app").GetString()!, root.GetProperty("result").Clone());
    }

    /// <summary>
    /// One sync in the worker's name, as the agent would send it with nothing held and nothing to
    /// report, asking for <paramref name="units"/> units. Returns the (unit, replica) pairs leased.
    /// </summary>
    public async Task<IReadOnlyList<(long UnitIndex, int Replica)>> SyncAsWorkerAsync(string workerToken, int units)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/workers/sync", UriKind.Relative))
        {
            Content = JsonContent.Create(new { reports = Array.Empty<object>(), inProgress = Array.Empty<object>(), requestUnits = units }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", workerToken);
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /api/v1/workers/sync answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("assignments").EnumerateArray()
            .Select(a => (a.GetProperty("unitIndex").GetInt64(), a.GetProperty("replica").GetInt32()))
            .ToList();
    }

    /// <summary>GET /api/v1/cluster: the answering silo and the membership it sees.</summary>
    public async Task<ClusterSnapshot> ClusterViewAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri("api/v1/cluster", UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET /api/v1/cluster of {Name} answered {(int)response.StatusCode}: {body}");
        }
        return ClusterSnapshot.Parse(body);
    }

    /// <summary>The log tail of every generation of the coordinator.</summary>
    public string Tail(int lines = 40) => string.Join(Environment.NewLine, _generations.Select(g => g.Tail(lines)));

    public async ValueTask DisposeAsync()
    {
        foreach (var generation in _generations)
        {
            await generation.DisposeAsync();
        }
        _http.Dispose();
    }
}

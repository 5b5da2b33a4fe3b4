using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// The coordinator as a separate process on loopback, with its own data folder and ports. It can be
/// killed (SIGKILL) and started again on the same data folder and ports. Given a PostgreSQL connection
/// string and cluster settings, it is one silo of a cluster.
/// </summary>
public sealed class CoordinatorProcess : RestartableProcess
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="apiKey">The bootstrap API key; silos of one cluster share one.</param>
    /// <param name="settings">Further configuration as environment variables (e.g. a PostgreSQL connection string).</param>
    /// <param name="workingDirectory">Where it is started from; by default its own folder, as an installation would.</param>
    public CoordinatorProcess(string name, string dataDirectory, string apiKey, IReadOnlyDictionary<string, string> settings, string? workingDirectory = null)
        : base(name, workingDirectory ?? RepoLayout.CoordinatorDirectory)
    {
        DataDirectory = dataDirectory;
        ApiKey = apiKey;
        var ports = FreePort.Next(3);
        BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}/");
        SiloPort = ports[1];
        _settings = new Dictionary<string, string>(settings)
        {
            ["Volunteer__ApiKey"] = apiKey,
            ["Volunteer__DataDirectory"] = dataDirectory,
            ["Orleans__SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
        };
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        _http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, apiKey);
    }

    public Uri BaseAddress { get; }

    /// <summary>The bootstrap API key it was started with (what a scientist signs in to the dashboard with).</summary>
    public string ApiKey { get; }

    public int SiloPort { get; }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "volunteer.db");

    protected override string Program => RepoLayout.CoordinatorDll;

    /// <summary>Starts a coordinator process and waits until it answers its health check.</summary>
    public async Task StartAsync()
    {
        var process = StartGeneration(["--urls", BaseAddress.GetLeftPart(UriPartial.Authority)], _settings);
        await Eventually.WaitAsync(
            $"{Name} (generation {Generation}) to answer /{Routes.Health}",
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited during start-up.\n{process.Tail(80)}");
                }
                using var response = await _http.GetAsync(new Uri(Routes.Health, UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK ? "healthy" : null;
            },
            () => process.Tail(80),
            StartTimeout,
            TimeSpan.FromMilliseconds(100));
    }

    public async Task<JobSnapshot> SubmitJobAsync(object submission)
    {
        using var response = await (await _http.PostAsJsonAsync(new Uri(Routes.Jobs, UriKind.Relative), submission)).ExpectAsync(HttpStatusCode.Created);
        Assert.NotNull(response.Headers.Location);
        return JobSnapshot.Parse(await response.Content.ReadAsStringAsync());
    }

    public async Task<JobSnapshot> GetJobAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        JobSnapshot.Parse(await GetAsync(Routes.Job(jobId), cancellationToken));

    /// <summary>The job's result: the job id, app and result JSON.</summary>
    public async Task<(Guid JobId, string App, JsonElement Result)> GetResultAsync(Guid jobId)
    {
        using var document = JsonDocument.Parse(await GetAsync(Routes.JobResult(jobId)));
        var root = document.RootElement;
        return (root.GetProperty("jobId").GetGuid(), root.GetProperty("app").GetString()!, root.GetProperty("result").Clone());
    }

    /// <summary>
    /// One sync in the worker's name, as its agent would send it with nothing held and nothing to report,
    /// asking for <paramref name="units"/> units: with its token, from its source address (the network replica
    /// placement sees). Returns the (unit, replica) pairs leased.
    /// </summary>
    public async Task<IReadOnlyList<(long UnitIndex, int Replica)>> SyncAsWorkerAsync(WorkerProcess worker, int units)
    {
        using var http = LoopbackSources.Client(worker.SourceAddress);
        using var host = new SimulatedHost(http, BaseAddress);
        using var response = await (await host.PostSyncAsync(new SyncRequest([], [], units), worker.ReadToken())).ExpectAsync(HttpStatusCode.OK);
        var answer = (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
        return answer.Assignments.Select(a => (a.UnitIndex, a.Replica)).ToList();
    }

    /// <summary>Uploads a blob in one streaming PUT under the API key; returns its digest.</summary>
    public async Task<string> UploadBlobAsync(byte[] content)
    {
        var digest = Volunteer.Sdk.ContentDigest.Of(content);
        using var body = new ByteArrayContent(content);
        using var response = await (await _http.PutAsync(new Uri(Routes.Blob(digest), UriKind.Relative), body)).ExpectAsync(HttpStatusCode.Created);
        return digest;
    }

    /// <summary>A whole blob, downloaded under the API key.</summary>
    public async Task<byte[]> DownloadBlobAsync(string digest)
    {
        using var response = await (await _http.GetAsync(new Uri(Routes.Blob(digest), UriKind.Relative))).ExpectAsync(HttpStatusCode.OK);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The JSON answer of a GET under the API key (200 expected).</summary>
    public async Task<JsonElement> GetJsonAsync(string route, CancellationToken cancellationToken = default)
    {
        using var document = JsonDocument.Parse(await GetAsync(route, cancellationToken));
        return document.RootElement.Clone();
    }

    /// <summary>The answering silo and the membership it sees.</summary>
    public async Task<ClusterSnapshot> ClusterViewAsync(CancellationToken cancellationToken = default) =>
        ClusterSnapshot.Parse(await GetAsync(Routes.Cluster, cancellationToken));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _http.Dispose();
    }

    private async Task<string> GetAsync(string route, CancellationToken cancellationToken = default)
    {
        using var response = await (await _http.GetAsync(new Uri(route, UriKind.Relative), cancellationToken)).ExpectAsync(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }
}

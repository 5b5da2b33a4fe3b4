using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Client;

/// <summary>
/// A typed client of a coordinator's job API, under a scientist's API key: upload blobs (resumable: chunks the
/// coordinator holds are not sent again), register and list app versions, submit, list, watch, read and cancel jobs.
/// A refusal throws <see cref="VolunteerApiException"/> with the coordinator's problem detail as its message; a
/// coordinator that cannot be reached throws <see cref="HttpRequestException"/>.
/// </summary>
public sealed class VolunteerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;

    /// <param name="coordinator">The coordinator's base URL, e.g. http://127.0.0.1:5080/ (the API's routes are resolved under it).</param>
    /// <param name="apiKey">The scientist's API key, sent in the X-Api-Key header; null sends none (the coordinator then answers 401).</param>
    public VolunteerClient(Uri coordinator, string? apiKey, TimeProvider? time = null)
        : this(new HttpClient { BaseAddress = BaseAddressOf(coordinator) }, time)
    {
        _ownsHttp = true;
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, apiKey);
        }
    }

    /// <param name="http">A client whose base address is the coordinator's, with the API key header set by its owner, who disposes it.</param>
    public VolunteerClient(HttpClient http, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http.BaseAddress);
        _http = http;
        _time = time ?? TimeProvider.System;
    }

    public Uri Coordinator => _http.BaseAddress!;

    /// <summary>The coordinator's URL with a trailing slash, so that the API's relative routes resolve below its path, not beside it.</summary>
    public static Uri BaseAddressOf(Uri coordinator) =>
        coordinator.AbsolutePath.EndsWith('/') ? coordinator : new Uri(coordinator.AbsoluteUri + "/");

    /// <summary>
    /// Uploads the file at <paramref name="path"/> as a blob: its manifest first, then only the chunks the coordinator
    /// says it lacks, so an interrupted upload resumes where it stopped and a blob already there costs one request.
    /// </summary>
    public async Task<BlobUpload> UploadBlobAsync(string path, IProgress<BlobUploadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        var manifest = await BlobManifest.OfAsync(file, cancellationToken);
        var status = await SendAsync<BlobUploadStatus>(HttpMethod.Post, Routes.Blobs, JsonContent.Create(manifest, options: ClientJson.Requests), cancellationToken);
        var missing = status.Complete ? [] : status.MissingChunks.ToList();
        var done = manifest.Size - missing.Sum(i => (long)manifest.ChunkLength(i));
        progress?.Report(new BlobUploadProgress(done, manifest.Size));
        var buffer = new byte[manifest.ChunkSize];
        foreach (var index in missing)
        {
            var length = manifest.ChunkLength(index);
            file.Position = manifest.ChunkOffset(index);
            await file.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
            // The manifest was read from the file a moment ago; a file changed since would send chunks of another blob.
            if (!manifest.IsChunk(index, buffer.AsSpan(0, length)))
            {
                throw new IOException($"{path} changed while it was being uploaded: chunk {index} is no longer what its manifest says. Upload it again.");
            }
            using var chunk = new ByteArrayContent(buffer, 0, length);
            chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            status = await SendAsync<BlobUploadStatus>(HttpMethod.Put, Routes.BlobChunk(manifest.Digest, index), chunk, cancellationToken);
            done += length;
            progress?.Report(new BlobUploadProgress(done, manifest.Size));
        }
        if (!status.Complete)
        {
            throw new VolunteerApiException(HttpStatusCode.Conflict, null,
                $"The coordinator still lacks chunks {string.Join(", ", status.MissingChunks)} of {manifest.Digest} after they were sent. Upload it again.");
        }
        return new BlobUpload(manifest, missing.Count, manifest.Chunks.Count - missing.Count);
    }

    /// <summary>
    /// Downloads a complete blob into <paramref name="destination"/>, checking as it goes that the bytes are the
    /// digest; throws <see cref="InvalidDataException"/> when they are not (the destination then holds bad bytes).
    /// </summary>
    public async Task<long> DownloadBlobAsync(string digest, Stream destination, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Blob(digest));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfRefusedAsync(response, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            size += read;
        }
        var actual = ContentDigest.Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
        return actual == digest
            ? size
            : throw new InvalidDataException($"The {size} bytes downloaded are {actual}, not {digest}.");
    }

    /// <summary>Registers a version of a WebAssembly app whose module (and reducer) were uploaded as blobs; the coordinator signs it.</summary>
    public Task<AppVersionView> RegisterAppAsync(AppRegistration registration, CancellationToken cancellationToken = default) =>
        SendAsync<AppVersionView>(HttpMethod.Post, Routes.Apps, JsonContent.Create(registration, options: ClientJson.Requests), cancellationToken);

    /// <summary>Every registered app version.</summary>
    public Task<IReadOnlyList<AppVersionView>> ListAppsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AppVersionView>>(HttpMethod.Get, Routes.Apps, null, cancellationToken);

    /// <summary>The registered versions of one app.</summary>
    public Task<IReadOnlyList<AppVersionView>> GetAppAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AppVersionView>>(HttpMethod.Get, Routes.App(name), null, cancellationToken);

    public Task<AppVersionView> GetAppVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        SendAsync<AppVersionView>(HttpMethod.Get, Routes.AppVersion(name, version), null, cancellationToken);

    /// <summary>Submits a job; the answer is its first view (state Running, its unit count).</summary>
    public Task<JobView> SubmitJobAsync(JobSubmission submission, CancellationToken cancellationToken = default) =>
        SendAsync<JobView>(HttpMethod.Post, Routes.Jobs, JsonContent.Create(submission, options: ClientJson.Requests), cancellationToken);

    /// <summary>One page of jobs, newest first: up to <paramref name="limit"/> (the coordinator's default 100), after the job <paramref name="after"/>.</summary>
    public Task<IReadOnlyList<JobView>> ListJobsAsync(JobState? state = null, int? limit = null, Guid? after = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (state is { } wanted)
        {
            query.Add($"state={wanted}");
        }
        if (limit is { } count)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"limit={count}"));
        }
        if (after is { } id)
        {
            query.Add($"after={id}");
        }
        var route = query.Count == 0 ? Routes.Jobs : $"{Routes.Jobs}?{string.Join('&', query)}";
        return SendAsync<IReadOnlyList<JobView>>(HttpMethod.Get, route, null, cancellationToken);
    }

    public Task<JobView> GetJobAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobView>(HttpMethod.Get, Routes.Job(jobId), null, cancellationToken);

    /// <summary>A completed job's result (and, for an app whose result is a file, the blob that holds it); 409 before it completes.</summary>
    public Task<JobResult> GetResultAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobResult>(HttpMethod.Get, Routes.JobResult(jobId), null, cancellationToken);

    /// <summary>Cancels a running job; the answer is its view, Cancelled. 409 when it had already finished.</summary>
    public Task<JobView> CancelJobAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        SendAsync<JobView>(HttpMethod.Delete, Routes.Job(jobId), null, cancellationToken);

    /// <summary>The job's view now and every <paramref name="interval"/> after, until one shows it finished (that one included).</summary>
    public async IAsyncEnumerable<JobView> WatchJobAsync(Guid jobId, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var job = await GetJobAsync(jobId, cancellationToken);
            yield return job;
            if (job.State != JobState.Running)
            {
                yield break;
            }
            await Task.Delay(interval, _time, cancellationToken);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string route, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, route) { Content = content };
        using var response = await _http.SendAsync(request, cancellationToken);
        await ThrowIfRefusedAsync(response, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ClientJson.Answers, cancellationToken)
                ?? throw new JsonException("The answer was null.");
        }
        catch (JsonException ex)
        {
            throw new VolunteerApiException(response.StatusCode, null,
                $"The coordinator's answer to {method} /{route} is not what this client understands ({ex.Message}); is {Coordinator} a Volunteer coordinator of this version?");
        }
    }

    /// <summary>Turns a refusal into a <see cref="VolunteerApiException"/> carrying its problem detail.</summary>
    private static async Task ThrowIfRefusedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? title = null;
        string? detail = null;
        try
        {
            using var problem = JsonDocument.Parse(text);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                title = StringOf(problem.RootElement, "title");
                detail = StringOf(problem.RootElement, "detail");
            }
        }
        catch (JsonException)
        {
            // Not a problem detail (e.g. a proxy's page): the status says what happened.
        }
        var status = response.StatusCode;
        throw new VolunteerApiException(status, title,
            detail ?? title ?? $"The coordinator answered {(int)status} {response.ReasonPhrase ?? status.ToString()} to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}.");
    }

    private static string? StringOf(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

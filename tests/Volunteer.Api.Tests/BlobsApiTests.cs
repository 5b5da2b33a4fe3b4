using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Apps;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A coordinator for the blob tests: blobs of at most <see cref="MaxBlobBytes"/> (a little under three chunks), and
/// the built-in apps with <see cref="ConcatApp"/>, whose result is a file.
/// </summary>
public sealed class BlobsCoordinatorFactory : CoordinatorFactory
{
    public const long MaxBlobBytes = 3_000_000;

    public BlobsCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:MaxBlobBytes"] = MaxBlobBytes.ToString(CultureInfo.InvariantCulture) })
    {
    }

    public CoordinatorKey CoordinatorKey => Services.GetRequiredService<CoordinatorKey>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton(new ScienceAppCatalog([.. BuiltInApps(), new ConcatApp()])));
    }

    private static IEnumerable<IScienceApp> BuiltInApps() => ScienceAppCatalog.BuiltIn.Names.Select(name => ScienceAppCatalog.BuiltIn.Find(name)!);
}

/// <summary>The blob API: uploads by manifest and chunks or in one stream, downloads, and workers' fetches with tickets.</summary>
public sealed class BlobsApiTests(BlobsCoordinatorFactory factory) : IClassFixture<BlobsCoordinatorFactory>, IDisposable
{
    private const int Chunk = BlobManifest.DefaultChunkSize;

    private readonly HttpClient _scientist = factory.CreateJobsClient();
    private readonly HttpClient _anonymous = factory.CreateClient();

    [Fact]
    public async Task An_upload_by_manifest_resumes_chunk_by_chunk_and_the_blob_downloads_whole()
    {
        var content = Blob.Content(1, 2 * Chunk + 12345);
        var manifest = BlobManifest.Of(content);

        var begun = await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.Created);
        Assert.Equal([0, 1, 2], begun.MissingChunks);
        Assert.Equal([0, 2], (await Blob.PutChunkAsync(_scientist, content, 1)).MissingChunks);
        // Resumed, say after the uploader restarted: what is still missing.
        Assert.Equal([0, 2], (await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.OK)).MissingChunks);
        using (var incomplete = await _scientist.GetAsync(Blob.Path(manifest.Digest)))
        {
            await Api.AssertProblemAsync(incomplete, HttpStatusCode.NotFound, manifest.Digest);
        }
        Assert.Equal([2], (await Blob.PutChunkAsync(_scientist, content, 0)).MissingChunks);
        var completed = await Blob.PutChunkAsync(_scientist, content, 2);

        Assert.True(completed.Complete);
        Assert.Empty(completed.MissingChunks);
        using var download = await _scientist.GetAsync(Blob.Path(manifest.Digest));
        await Api.AssertStatusAsync(download, HttpStatusCode.OK);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(content.Length, download.Content.Headers.ContentLength);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
        var stored = await _scientist.GetFromJsonAsync<BlobManifest>(Blob.Path(manifest.Digest) + "/manifest", ProtocolJson.Options);
        Assert.Equal((manifest.Digest, manifest.Size, manifest.Chunks), (stored!.Digest, stored.Size, stored.Chunks.AsEnumerable()), TupleOfManifest.Instance);
        Assert.Equal(content[Chunk..(2 * Chunk)], await _scientist.GetByteArrayAsync(Blob.Path(manifest.Digest) + "/chunks/1"));
        Assert.True((await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.OK)).Complete);
    }

    [Fact]
    public async Task A_chunk_that_is_not_the_manifests_is_refused_and_stays_missing()
    {
        var content = Blob.Content(2, 2 * Chunk);
        var manifest = BlobManifest.Of(content);
        await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.Created);
        var tampered = content[..Chunk];
        tampered[100] ^= 0xff;

        using (var wrong = await _scientist.PutAsync(Blob.Path(manifest.Digest) + "/chunks/0", new ByteArrayContent(tampered)))
        {
            await Api.AssertProblemAsync(wrong, HttpStatusCode.BadRequest, "not chunk 0", "Nothing was stored");
        }
        using (var shortChunk = await _scientist.PutAsync(Blob.Path(manifest.Digest) + "/chunks/1", new ByteArrayContent(content[Chunk..^1])))
        {
            await Api.AssertProblemAsync(shortChunk, HttpStatusCode.BadRequest, "not chunk 1");
        }
        using (var beyond = await _scientist.PutAsync(Blob.Path(manifest.Digest) + "/chunks/2", new ByteArrayContent(content[..Chunk])))
        {
            await Api.AssertProblemAsync(beyond, HttpStatusCode.BadRequest, "has 2 chunks", "no chunk 2");
        }
        using (var tooLarge = await _scientist.PutAsync(Blob.Path(manifest.Digest) + "/chunks/0", new ByteArrayContent(new byte[Chunk + 1])))
        {
            await Api.AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        }

        Assert.Equal([0, 1], (await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.Created)).MissingChunks);
    }

    [Fact]
    public async Task Chunks_that_do_not_add_up_to_the_digest_are_discarded_and_never_served()
    {
        var content = Blob.Content(3, Chunk + 1);
        var lying = BlobManifest.Of(content) with { Digest = ContentDigest.Of(Blob.Content(4, 10)) };
        await Blob.BeginAsync(_scientist, lying, HttpStatusCode.Created);
        await Blob.PutChunkAsync(_scientist, content, 0, lying.Digest);

        using (var last = await _scientist.PutAsync(Blob.Path(lying.Digest) + "/chunks/1", new ByteArrayContent(content[Chunk..])))
        {
            await Api.AssertProblemAsync(last, HttpStatusCode.BadRequest, "do not add up", "discarded");
        }

        using var download = await _scientist.GetAsync(Blob.Path(lying.Digest));
        await Api.AssertProblemAsync(download, HttpStatusCode.NotFound);
        using var again = await _scientist.PutAsync(Blob.Path(lying.Digest) + "/chunks/1", new ByteArrayContent(content[Chunk..]));
        await Api.AssertProblemAsync(again, HttpStatusCode.NotFound, "POST its manifest");
    }

    [Theory]
    [InlineData("""{"digest":"sha256:abc","size":1,"chunkSize":1048576,"chunks":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}""", "'digest'")]
    [InlineData("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":-1,"chunkSize":1048576,"chunks":[]}""", "'size'")]
    [InlineData("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10,"chunkSize":1024,"chunks":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}""", "'chunkSize'")]
    [InlineData("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2000000,"chunkSize":1048576,"chunks":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}""", "2 chunk digests")]
    [InlineData("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10,"chunkSize":1048576,"chunks":["SHA256:0"]}""", "Every chunk digest")]
    [InlineData("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10}""", "JSON")]
    [InlineData("""not json""", "JSON")]
    public async Task A_bad_manifest_is_400_and_begins_nothing(string manifest, string fragment)
    {
        using var response = await _scientist.PostAsync("/" + Routes.Blobs, Api.Json(manifest));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, fragment);
        using var chunk = await _scientist.PutAsync(Blob.Path("sha256:" + new string('0', 64)) + "/chunks/0", new ByteArrayContent(new byte[10]));
        await Api.AssertProblemAsync(chunk, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_manifest_above_the_largest_blob_is_413()
    {
        var size = BlobsCoordinatorFactory.MaxBlobBytes + 1;
        var manifest = new BlobManifest(ContentDigest.Of([1]), size, Chunk, [.. Enumerable.Repeat(ContentDigest.Of([2]), BlobManifest.ChunkCountOf(size, Chunk))]);

        using var response = await _scientist.PostAsJsonAsync("/" + Routes.Blobs, manifest, ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, $"at most {BlobsCoordinatorFactory.MaxBlobBytes} bytes");
    }

    [Fact]
    public async Task A_blob_streamed_whole_is_kept_only_when_it_is_its_digest_and_within_the_limit()
    {
        var content = Blob.Content(5, 2 * Chunk + 99);
        var digest = ContentDigest.Of(content);
        var other = Blob.Content(6, 2 * Chunk + 99);
        var oversized = Blob.Content(7, (int)BlobsCoordinatorFactory.MaxBlobBytes + 1);

        using (var mismatch = await _scientist.PutAsync(Blob.Path(digest), new ByteArrayContent(other)))
        {
            await Api.AssertProblemAsync(mismatch, HttpStatusCode.BadRequest, "is not " + digest, "nothing was kept");
        }
        using (var tooLarge = await _scientist.PutAsync(Blob.Path(ContentDigest.Of(oversized)), new ByteArrayContent(oversized)))
        {
            await Api.AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        }
        using (var missing = await _scientist.GetAsync(Blob.Path(digest)))
        {
            await Api.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        }
        using (var notThere = await _scientist.GetAsync(Blob.Path(ContentDigest.Of(oversized))))
        {
            await Api.AssertProblemAsync(notThere, HttpStatusCode.NotFound);
        }

        using var stored = await _scientist.PutAsync(Blob.Path(digest), new ByteArrayContent(content));
        await Api.AssertStatusAsync(stored, HttpStatusCode.Created);
        Assert.Equal(Blob.Path(digest), stored.Headers.Location?.OriginalString);
        var manifest = (await stored.Content.ReadFromJsonAsync<BlobManifest>(ProtocolJson.Options))!;
        Assert.Equal(BlobManifest.Of(content).Chunks, manifest.Chunks);
        Assert.Equal(content, await _scientist.GetByteArrayAsync(Blob.Path(digest)));
    }

    [Theory]
    [InlineData("GET", "sha256:ABC")]
    [InlineData("GET", "not-a-digest")]
    [InlineData("PUT", "sha256:0000")]
    [InlineData("GET", "sha256:0000000000000000000000000000000000000000000000000000000000000000/chunks/x")]
    [InlineData("GET", "sha256:0000000000000000000000000000000000000000000000000000000000000000/chunks/-1")]
    [InlineData("PUT", "sha256:0000000000000000000000000000000000000000000000000000000000000000/chunks/1.5")]
    [InlineData("GET", "..%2F..%2Fvolunteer.db/manifest")]
    public async Task A_malformed_digest_or_chunk_index_in_the_path_is_400(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/{Routes.Blobs}/{path}") { Content = new ByteArrayContent([1]) };

        using var response = await _scientist.SendAsync(request);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("POST", "")]
    [InlineData("PUT", "/sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("PUT", "/sha256:0000000000000000000000000000000000000000000000000000000000000000/chunks/0")]
    [InlineData("GET", "/sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("GET", "/sha256:0000000000000000000000000000000000000000000000000000000000000000/manifest")]
    [InlineData("GET", "/sha256:0000000000000000000000000000000000000000000000000000000000000000/chunks/0")]
    public async Task Every_blob_endpoint_needs_credentials(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/{Routes.Blobs}{path}") { Content = new ByteArrayContent([1]) };

        using var response = await _anonymous.SendAsync(request);

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_worker_fetches_chunks_only_with_a_ticket_of_its_own_for_that_blob()
    {
        var content = Blob.Content(8, Chunk + 7);
        var digest = await Blob.PutAsync(_scientist, content);
        var otherDigest = await Blob.PutAsync(_scientist, Blob.Content(9, 100));
        var worker = await factory.SharedWorkerAsync("fetcher");
        var stranger = await factory.SharedWorkerAsync("stranger");
        var key = factory.CoordinatorKey.Signer;
        var (job, later, earlier) = (Guid.NewGuid(), DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddMinutes(-1));
        long served = 0;
        using var relayBytes = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument, factory.Services.GetRequiredService<CoordinatorMetrics>().RelayCoordinatorBytes))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        relayBytes.SetMeasurementEventCallback<long>((_, bytes, _, _) => Interlocked.Add(ref served, bytes));
        relayBytes.Start();

        Assert.Equal(content[Chunk..], await FetchChunkAsync(worker.Token, digest, 1, Ticket(CoordinatorSignature.Ticket(key, digest, worker.Id, job, later))));
        // The scientist's own download is not relay.
        Assert.Equal(content[..Chunk], await _scientist.GetByteArrayAsync(Blob.Path(digest) + "/chunks/0"));
        var manifest = await FetchAsync(worker.Token, Blob.Path(digest) + "/manifest", ticket: null);
        await Api.AssertStatusAsync(manifest, HttpStatusCode.OK);

        string?[] refused =
        [
            null,
            "not base64!",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"not\":\"a ticket\"}")),
            Ticket(CoordinatorSignature.Ticket(key, digest, stranger.Id, job, later)),
            Ticket(CoordinatorSignature.Ticket(key, otherDigest, worker.Id, job, later)),
            Ticket(CoordinatorSignature.Ticket(key, digest, worker.Id, job, earlier)),
            Ticket(CoordinatorSignature.Ticket(key, digest, worker.Id, job, later) with { JobId = Guid.NewGuid() }),
            Ticket(CoordinatorSignature.Ticket(ECDsa.Create(ECCurve.NamedCurves.nistP256),
                digest, worker.Id, job, later)),
            new string('A', BlobsApi.MaxTicketHeaderLength + 4),
        ];
        foreach (var ticket in refused)
        {
            using var response = await FetchAsync(worker.Token, Blob.Path(digest) + "/chunks/0", ticket);
            await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, PeerRoutes.TicketHeader);
        }
        using (var wrongToken = await FetchAsync("not-a-token", Blob.Path(digest) + "/chunks/0", Ticket(CoordinatorSignature.Ticket(key, digest, worker.Id, job, later))))
        {
            await Api.AssertProblemAsync(wrongToken, HttpStatusCode.Unauthorized);
        }
        // A worker downloads no whole blob: that is the scientists' endpoint.
        using var whole = await FetchAsync(worker.Token, Blob.Path(digest), Ticket(CoordinatorSignature.Ticket(key, digest, worker.Id, job, later)));
        await Api.AssertProblemAsync(whole, HttpStatusCode.Unauthorized);
        Assert.Equal(7, Interlocked.Read(ref served));
    }

    [Fact]
    public async Task The_coordinators_public_key_is_public_and_the_one_workers_learn_at_attach()
    {
        var answer = await _anonymous.GetFromJsonAsync<JsonElement>("/" + Routes.CoordinatorKey);
        using var hostKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attach = await _anonymous.PostAsJsonAsync(Api.WorkersPath,
            new WorkerAttachRequest("key-learner", Convert.ToBase64String(hostKey.ExportSubjectPublicKeyInfo()), 1), ProtocolJson.Options);
        await Api.AssertStatusAsync(attach, HttpStatusCode.Created);
        var attached = await attach.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options);

        Assert.Equal(factory.CoordinatorKey.PublicKey, answer.GetProperty("publicKey").GetString());
        Assert.Equal(factory.CoordinatorKey.PublicKey, attached!.CoordinatorKey);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_blob_api()
    {
        using var document = JsonDocument.Parse(await _anonymous.GetStringAsync("/" + Routes.OpenApiDocument));
        var paths = document.RootElement.GetProperty("paths");

        foreach (var path in new[] { "", "/{digest}", "/{digest}/manifest", "/{digest}/chunks/{index}" })
        {
            Assert.True(paths.TryGetProperty($"/{Routes.Blobs}{path}", out _), $"The OpenAPI document lacks /{Routes.Blobs}{path}.");
        }
        Assert.True(paths.TryGetProperty("/" + Routes.CoordinatorKey, out _));
        Assert.True(paths.GetProperty($"/{Routes.Blobs}/{{digest}}").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("application/octet-stream", out _));
    }

    private async Task<byte[]> FetchChunkAsync(string token, string digest, int index, string ticket)
    {
        using var response = await FetchAsync(token, $"{Blob.Path(digest)}/chunks/{index}", ticket);
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<HttpResponseMessage> FetchAsync(string token, string path, string? ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (ticket is not null)
        {
            request.Headers.TryAddWithoutValidation(PeerRoutes.TicketHeader, ticket);
        }
        return await _anonymous.SendAsync(request);
    }

    private static string Ticket(BlobTicket ticket) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(ticket, ProtocolJson.Options));

    public void Dispose()
    {
        _scientist.Dispose();
        _anonymous.Dispose();
    }

    /// <summary>A manifest's digest, size and chunks, compared by value.</summary>
    private sealed class TupleOfManifest : IEqualityComparer<(string, long, IEnumerable<string>)>
    {
        public static readonly TupleOfManifest Instance = new();

        public bool Equals((string, long, IEnumerable<string>) x, (string, long, IEnumerable<string>) y) =>
            x.Item1 == y.Item1 && x.Item2 == y.Item2 && x.Item3.SequenceEqual(y.Item3);

        public int GetHashCode((string, long, IEnumerable<string>) obj) => obj.Item1.GetHashCode(StringComparison.Ordinal);
    }
}

/// <summary>Blob requests the tests share.</summary>
internal static class Blob
{
    public static string Path(string digest) => "/" + Routes.Blob(digest);

    public static byte[] Content(int seed, int length)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    public static async Task<BlobUploadStatus> BeginAsync(HttpClient scientist, BlobManifest manifest, HttpStatusCode expected)
    {
        using var response = await scientist.PostAsJsonAsync("/" + Routes.Blobs, manifest, ProtocolJson.Options);
        await Api.AssertStatusAsync(response, expected);
        return (await response.Content.ReadFromJsonAsync<BlobUploadStatus>(ProtocolJson.Options))!;
    }

    public static async Task<BlobUploadStatus> PutChunkAsync(HttpClient scientist, byte[] content, int index, string? digest = null)
    {
        var chunk = content.AsSpan(index * BlobManifest.DefaultChunkSize).ToArray()[..Math.Min(BlobManifest.DefaultChunkSize, content.Length - index * BlobManifest.DefaultChunkSize)];
        using var response = await scientist.PutAsync($"{Path(digest ?? ContentDigest.Of(content))}/chunks/{index}", new ByteArrayContent(chunk));
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<BlobUploadStatus>(ProtocolJson.Options))!;
    }

    /// <summary>Uploads a whole blob in one stream; returns its digest.</summary>
    public static async Task<string> PutAsync(HttpClient scientist, byte[] content)
    {
        var digest = ContentDigest.Of(content);
        using var response = await scientist.PutAsync(Path(digest), new ByteArrayContent(content));
        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        return digest;
    }
}

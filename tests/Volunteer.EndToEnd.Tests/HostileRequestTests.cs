using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// Hostile requests to a real coordinator over real HTTP, where headers arrive as sent and the server
/// enforces its body limits: each is refused, and the coordinator goes on serving.
/// </summary>
public sealed class HostileRequestTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "hostile-requests-key";

    private readonly string _folder = TestFolders.Create("hostile");
    private CoordinatorProcess? _coordinator;
    private HttpClient? _http;

    private CoordinatorProcess Coordinator => _coordinator!;

    private HttpClient Http => _http!;

    public async Task InitializeAsync()
    {
        // The default limits: 50 syncs per worker per second, the default sync limits.
        _coordinator = new CoordinatorProcess("coordinator", Path.Combine(_folder, "data"), ApiKey, new Dictionary<string, string>());
        await _coordinator.StartAsync();
        _http = new HttpClient { BaseAddress = _coordinator.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task Spelling_the_token_differently_opens_no_second_rate_budget()
    {
        using var host = await AttachAsync("padded");

        // 200 syncs at once, each with the token behind its own run of spaces: one worker, one budget.
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, Routes.WorkerSync)
            {
                Content = JsonContent.Create(new SyncRequest(), options: ProtocolJson.Options),
            };
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string(' ', i + 1) + host.Token);
            return Http.SendAsync(message);
        }));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        responses.ToList().ForEach(r => r.Dispose());
        output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}: {g.Count()}")));

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Fact]
    public async Task An_attach_request_larger_than_its_limit_is_413_and_attaches_nothing()
    {
        var before = VolunteerDatabase.CountRows(Coordinator.DatabasePath, "workers");
        var name = new string('n', 8 * 1024);
        var body = $$"""{"name":"{{name}}","publicKey":"AAAA","cores":1}""";

        using var response = await Http.PostAsync(Routes.Workers, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, VolunteerDatabase.CountRows(Coordinator.DatabasePath, "workers"));
    }

    [Fact]
    public async Task A_job_submission_larger_than_its_limit_is_413_and_records_nothing()
    {
        var parameters = new string(' ', 128 * 1024);
        var body = "{\"app\":\"primes\",\"parameters\":{" + parameters + "\"from\":0,\"to\":100,\"unitSize\":10}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Jobs) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(Routes.ApiKeyHeader, ApiKey);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, "jobs"));
    }

    [Fact]
    public async Task A_large_submission_without_an_api_key_is_401_before_its_body_is_sent()
    {
        // With "Expect: 100-continue" the client waits for the server's go-ahead before sending the
        // body; the server answers 401 without asking for it, so the 20 MB never travel.
        var body = new string('x', 20 * 1024 * 1024);
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.Jobs) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(Routes.Accounts, "name")]
    [InlineData(Routes.Workers, "accountKey")]
    public async Task A_huge_sign_up_or_account_key_is_413_before_its_body_is_sent_and_creates_nothing(string path, string field)
    {
        // A request that is right but for one 20 MB field: the limit (2 KiB for a sign-up, 4 KiB for an attach)
        // refuses it from its length alone, so the client's "Expect: 100-continue" is never answered with 100.
        var huge = new string('k', 20 * 1024 * 1024);
        var body = field == "name"
            ? $$"""{"name":"{{huge}}"}"""
            : $$"""{"name":"host","publicKey":"AAAA","cores":1,"accountKey":"{{huge}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, "accounts"));
        Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, "workers"));
    }

    [Fact]
    public async Task Syncs_naming_jobs_that_do_not_exist_leave_the_coordinator_s_memory_flat()
    {
        using var host = await AttachAsync("forgetful");
        var limits = (await SyncOkAsync(host, new SyncRequest())).Limits;
        // As many held replicas as a sync may name, each of a job that never existed: before issue 9 each one woke a
        // job grain that stayed for 15 minutes (150 such syncs took the coordinator from 1.1 to 1.9 GiB).
        async Task SendAsync(int syncs)
        {
            for (var i = 0; i < syncs; i++)
            {
                var held = Enumerable.Range(0, limits.MaxInProgress).Select(_ => new ReplicaRef(Guid.NewGuid(), 0, 0)).ToList();
                var answer = await SyncOkAsync(host, new SyncRequest(InProgress: held));
                // None of them is the host's to keep.
                Assert.Equal(held.Count, answer.Cancelled.Count);
            }
        }
        // Warm-up: the JIT, pools and the heap's first growth.
        await SendAsync(30);
        var before = Coordinator.ResidentMiB();

        await SendAsync(200);

        var after = Coordinator.ResidentMiB();
        output.WriteLine($"coordinator RSS {before:0} MiB -> {after:0} MiB after {200 * limits.MaxInProgress} unknown held replicas");
        // What the garbage collector keeps between collections varies by tens of MiB; a grain per unknown job would be
        // hundreds of MiB.
        Assert.True(after - before < 256, $"RSS grew from {before:0} to {after:0} MiB.");
        Assert.True(Coordinator.IsRunning);
    }

    [Fact]
    public async Task Ten_thousand_credit_questions_about_nobody_in_bad_shape_or_without_a_key_change_nothing_and_leave_memory_flat()
    {
        // Anyone may ask: accounts that do not exist, ids that are no ids, leaderboards by what there is none of, pages past
        // the end, and the flagged hosts without the key.
        string[] questions =
        [
            $"/{Routes.Accounts}/{{0}}", $"/{Routes.Accounts}/not-an-id-{{1}}", $"/{Routes.Leaderboard}?by=planet&offset={{1}}",
            $"/{Routes.Leaderboard}?by=host&order=recent&offset={{1}}&limit=100", $"/{Routes.Hosts}?flagged=true&after={{0}}:primes",
        ];
        // The operators' list of flagged hosts is not public: without the API key it is 401, whatever is asked.
        HttpStatusCode[] answers =
            [HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.OK, HttpStatusCode.Unauthorized];
        async Task AskAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var question = i % questions.Length;
                using var response = await Http.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, questions[question], Guid.NewGuid(), i));
                Assert.Equal(answers[question], response.StatusCode);
            }
        }
        await AskAsync(1_000);
        var before = Coordinator.ResidentMiB();

        await AskAsync(10_000);

        var after = Coordinator.ResidentMiB();
        output.WriteLine($"coordinator RSS {before:0} MiB -> {after:0} MiB after 10,000 credit questions");
        Assert.True(after - before < 64, $"RSS grew from {before:0} to {after:0} MiB.");
        foreach (var table in new[] { "accounts", "workers", "credit_ledger", "credit_totals", "host_flags" })
        {
            Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, table));
        }
    }

    [Fact]
    public async Task Ten_thousand_bad_blob_uploads_downloads_and_peer_syncs_change_nothing_and_leave_memory_flat()
    {
        var host = await AttachAsync("peer");
        var stranger = Volunteer.Sdk.ContentDigest.Of("never uploaded"u8);
        var manifest = BlobManifest.Of(new byte[100]);
        var requests = new Func<int, HttpRequestMessage>[]
        {
            // A malformed digest, a body that is not its digest, a manifest that does not add up, a chunk of no upload.
            i => WithKey(new HttpRequestMessage(HttpMethod.Put, $"api/v1/blobs/sha256:{i}") { Content = new ByteArrayContent([1, 2, 3]) }),
            i => WithKey(new HttpRequestMessage(HttpMethod.Put, Routes.Blob(stranger)) { Content = new ByteArrayContent(BitConverter.GetBytes(i)) }),
            i => WithKey(new HttpRequestMessage(HttpMethod.Post, Routes.Blobs) { Content = JsonContent.Create(manifest with { Size = 10_000_000 + i }, options: ProtocolJson.Options) }),
            i => WithKey(new HttpRequestMessage(HttpMethod.Put, Routes.BlobChunk(stranger, i)) { Content = new ByteArrayContent([1]) }),
            // Downloads of what is not there, and a worker's chunk without a ticket or a token.
            _ => WithKey(new HttpRequestMessage(HttpMethod.Get, Routes.Blob(stranger))),
            i => new HttpRequestMessage(HttpMethod.Get, Routes.BlobChunk(stranger, i % 4)),
            i => WithToken(new HttpRequestMessage(HttpMethod.Get, Routes.BlobChunk(stranger, i % 4)), host),
            // Result uploads nobody asked for, with and without the worker's token.
            i => WithToken(new HttpRequestMessage(HttpMethod.Put, Routes.WorkerBlob(stranger)) { Content = new ByteArrayContent(BitConverter.GetBytes(i)) }, host),
            i => new HttpRequestMessage(HttpMethod.Put, Routes.WorkerBlob(stranger)) { Content = new ByteArrayContent(BitConverter.GetBytes(i)) },
            // A peer advert on port 0.
            _ => WithToken(new HttpRequestMessage(HttpMethod.Post, Routes.WorkerSync) { Content = JsonContent.Create(new SyncRequest(Peer: new PeerAdvert(0)), options: ProtocolJson.Options) }, host),
        };
        HttpStatusCode[] answers =
        [
            HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.NotFound,
            HttpStatusCode.NotFound, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden,
            HttpStatusCode.Conflict, HttpStatusCode.Unauthorized,
            HttpStatusCode.BadRequest,
        ];
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var kind = i % requests.Length;
                using var request = requests[kind](i);
                using var response = await Http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    // The sync's own rate limit: that refusal changes nothing either.
                    continue;
                }
                Assert.True(answers[kind] == response.StatusCode, $"Request kind {kind} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        await SendAsync(1_000);
        var before = Coordinator.ResidentMiB();

        await SendAsync(10_000);

        var after = Coordinator.ResidentMiB();
        output.WriteLine($"coordinator RSS {before:0} MiB -> {after:0} MiB after 10,000 bad blob and peer requests");
        Assert.True(after - before < 64, $"RSS grew from {before:0} to {after:0} MiB.");
        foreach (var table in new[] { "jobs", "job_blobs", "job_relay", "host_flags" })
        {
            Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, table));
        }
        var blobs = Path.Combine(Coordinator.DataDirectory, "blobs");
        Assert.Empty(Directory.Exists(blobs) ? Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Ten_thousand_forged_reports_of_a_workers_own_and_relayed_for_others_are_refused_change_nothing_and_leave_memory_flat()
    {
        var job = await Coordinator.SubmitJobAsync(new
        {
            app = "primes",
            parameters = new { from = 0, to = 1_000_000, unitSize = 10_000 },
            redundancy = new { targetResults = 1, minQuorum = 1, maxErrorResults = 3, maxTotalResults = 3 },
        });
        // A carrier holding a lease of its own, and twelve origins each holding one, whose reports the carrier relays.
        using var carrier = await AttachAsync("carrier");
        var carried = Assert.Single((await SyncOkAsync(carrier, new SyncRequest(RequestUnits: 1))).Assignments);
        var origins = new List<(SimulatedHost Host, Assignment Lease)>();
        for (var i = 0; i < 12; i++)
        {
            var origin = await AttachAsync($"origin-{i}");
            origins.Add((origin, Assert.Single((await SyncOkAsync(origin, new SyncRequest(RequestUnits: 1))).Assignments)));
        }
        // The forger signs with a key of its own: well-formed signatures, by nobody the coordinator knows.
        using var forger = new SimulatedHost(Http, Coordinator.BaseAddress);
        var carrierReport = SimulatedHost.Success(carried.Ref, [1, 2, 3]);
        var originReports = origins.Select(o => SimulatedHost.Success(o.Lease.Ref, [4, 5, 6])).ToList();
        var strangerReports = Enumerable.Range(0, 4).Select(i => SimulatedHost.Success(new ReplicaRef(job.Id, i, 7), [7, 8, 9])).ToList();

        // Each round: the carrier's own report forged (the whole sync refused), then a sync relaying a forged bundle for
        // each origin and four for workers that do not exist: 17 forged reports, each one checked.
        async Task<int> ForgeAsync(int reports)
        {
            var sent = 0;
            while (sent < reports)
            {
                using (var own = await SendPastRateLimitAsync(carrier, new SyncRequest(Reports: [carrierReport], Signature: forger.Sign([carrierReport]))))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
                    var refused = (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refused");
                    Assert.Equal("BadSignature", refused[0].GetProperty("code").GetString());
                }
                var bundles = originReports.Select((r, i) => new RelayedReports(origins[i].Host.Id, [r], forger.Sign([r])))
                    .Concat(strangerReports.Select(r => new RelayedReports(Guid.NewGuid(), [r], forger.Sign([r]))))
                    .ToList();
                using (var relayed = await SendPastRateLimitAsync(carrier, new SyncRequest(Relayed: bundles)))
                {
                    await relayed.ExpectAsync(HttpStatusCode.OK);
                    var outcomes = (await relayed.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!.Relayed!;
                    Assert.Equal(
                        [.. Enumerable.Repeat("BadSignature", originReports.Count), .. Enumerable.Repeat("UnknownWorker", 4)],
                        outcomes.Select(o => Assert.Single(o.Refused).Code));
                    Assert.All(outcomes, o => Assert.Equal(0, o.Accepted));
                }
                sent += 1 + bundles.Count;
            }
            return sent;
        }
        await ForgeAsync(1_000);
        var before = Coordinator.ResidentMiB();

        var forged = await ForgeAsync(10_000);

        var after = Coordinator.ResidentMiB();
        output.WriteLine($"coordinator RSS {before:0} MiB -> {after:0} MiB after {forged:N0} forged reports");
        Assert.True(after - before < 64, $"RSS grew from {before:0} to {after:0} MiB.");
        // Nothing was reported: every lease is still its holder's, with no outcome, and no credit was granted.
        var leases = origins.Select(o => (o.Lease.Ref, o.Host.Id)).Append((carried.Ref, carrier.Id)).ToDictionary(l => l.Ref, l => l.Id);
        var replicas = VolunteerDatabase.Replicas(Coordinator.DatabasePath, job.Id)
            .Where(r => leases.ContainsKey(new ReplicaRef(r.JobId, r.UnitIndex, r.Replica))).ToList();
        Assert.Equal(leases.Count, replicas.Count);
        Assert.All(replicas, r => Assert.Null(r.Outcome));
        Assert.All(replicas, r => Assert.Equal(leases[new ReplicaRef(r.JobId, r.UnitIndex, r.Replica)], r.WorkerId));
        Assert.Equal(0, VolunteerDatabase.CountRows(Coordinator.DatabasePath, "credit_ledger"));
        // And the refusals burnt nothing: the genuine reports are accepted afterwards, relayed and the carrier's own.
        var genuine = new RelayedReports(origins[0].Host.Id, [originReports[0]], origins[0].Host.Sign([originReports[0]]));
        var answer = await SyncOkAsync(carrier, new SyncRequest(Reports: [carrierReport], Relayed: [genuine]));
        Assert.Equal(1, answer.Accepted);
        Assert.Equal(1, Assert.Single(answer.Relayed!).Accepted);
        foreach (var (origin, _) in origins)
        {
            origin.Dispose();
        }
    }

    /// <summary>A sync sent again while the host's rate limit answers 429; the response is the caller's.</summary>
    private static async Task<HttpResponseMessage> SendPastRateLimitAsync(SimulatedHost host, SyncRequest request)
    {
        while (true)
        {
            var response = await host.PostSyncAsync(request);
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request)
    {
        request.Headers.Add(Routes.ApiKeyHeader, ApiKey);
        return request;
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage request, SimulatedHost host)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.Token);
        return request;
    }

    /// <summary>A sync that must be answered 200, sent again while the host's rate limit says 429.</summary>
    private static async Task<SyncResponse> SyncOkAsync(SimulatedHost host, SyncRequest request)
    {
        using var response = await SendPastRateLimitAsync(host, request);
        await response.ExpectAsync(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
    }

    private async Task<SimulatedHost> AttachAsync(string name)
    {
        var host = new SimulatedHost(Http, Coordinator.BaseAddress);
        using var attach = await host.PostAttachAsync(name, 1);
        await attach.ExpectAsync(HttpStatusCode.Created);
        return host;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Apps.Primes;
using Volunteer.Sdk;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Bad syncs on the worker API. Each is refused with the right status and a problem that names what
/// is wrong, and changes nothing: the stored replica and the job's counts are as before, and the
/// honest report of the legitimately leased replica is still accepted afterwards.
/// </summary>
public sealed class WorkerSyncBadInputTests(UnthrottledCoordinatorFactory factory) : IClassFixture<UnthrottledCoordinatorFactory>, IAsyncLifetime
{
    private readonly HttpClient _jobs = factory.CreateJobsClient();

    private JobView _job = null!;
    private SimulatedWorker _alice = null!;
    private SimulatedWorker _bob = null!;
    private Assignment _aliceLease = null!;
    private Assignment _bobLease = null!;

    /// <summary>
    /// A fresh scenario per test: one running primes job (others cancelled so nothing else is
    /// leased), Alice holding replica 0 of unit 0 and Bob replica 1 of the same unit.
    /// </summary>
    public async Task InitializeAsync()
    {
        await Api.CancelRunningJobsAsync(_jobs);
        _job = await Api.SubmitAsync(_jobs, Api.PrimesJob(0, 1000, 100));
        _alice = await factory.SharedWorkerAsync("alice");
        _bob = await factory.SharedWorkerAsync("bob");
        _aliceLease = Assert.Single(await _alice.LeaseAsync(1));
        _bobLease = Assert.Single(await _bob.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(_job.Id, 0, 0), _aliceLease.Ref);
        Assert.Equal(new ReplicaRef(_job.Id, 0, 1), _bobLease.Ref);
    }

    public Task DisposeAsync()
    {
        _jobs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sync_without_a_token_is_401_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        using var client = factory.CreateClient();
        var request = new SyncRequest([await _alice.ComputeAsync(_aliceLease)], RequestUnits: 2);

        using (var noHeader = await client.PostAsync(Api.SyncPath, JsonContent.Create(request, options: ProtocolJson.Options)))
        {
            await Api.AssertProblemAsync(noHeader, HttpStatusCode.Unauthorized, "Bearer");
        }
        using (var basic = new HttpRequestMessage(HttpMethod.Post, Api.SyncPath))
        {
            basic.Content = JsonContent.Create(request, options: ProtocolJson.Options);
            basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", _alice.Token);
            using var response = await client.SendAsync(basic);
            await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Bearer");
        }

        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Sync_with_a_wrong_token_is_401_before_its_body_is_read()
    {
        var before = await SnapshotAsync();

        using var response = await _alice.PostSyncAsync(Api.Json("{\"reports\":[{"), token: _alice.Token + "x");

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "not recognised");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("wrong secret")]
    [InlineData("other worker's id")]
    [InlineData("unknown worker")]
    [InlineData("empty")]
    public async Task Sync_with_a_wrong_token_is_401_and_changes_nothing(string kind)
    {
        var before = await SnapshotAsync();
        var secret = _alice.Token[(_alice.Token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var token = kind switch
        {
            "garbage" => "garbage",
            "wrong secret" => _alice.Id.ToString("N") + "." + new string('A', secret.Length),
            "other worker's id" => _bob.Id.ToString("N") + "." + secret,
            "unknown worker" => Guid.NewGuid().ToString("N") + "." + secret,
            "empty" => "",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], RequestUnits: 2), token);

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "token");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(65)]
    [InlineData(int.MaxValue)]
    public async Task Sync_asking_for_a_bad_number_of_units_is_400_and_changes_nothing(int requestUnits)
    {
        var before = await SnapshotAsync();

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], RequestUnits: requestUnits));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'requestUnits' must be between 0 and 64");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_of_a_replica_leased_to_another_worker_is_403_with_the_refusal_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        // Bob signs, with his own key, a report of Alice's replica.
        var stolen = _bob.Claim(_aliceLease.Ref, PrimeSieve.CountPrimes(0, 100));

        using var response = await _bob.PostSyncAsync(new SyncRequest([stolen], RequestUnits: 1));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, "not leased to this worker", "nothing in this sync was applied");
        Assert.Equal([(_aliceLease.Ref, "NotLeasedToWorker")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
        // Bob's own lease is untouched too.
        Assert.Equal(1, (await _bob.SyncAsync(new SyncRequest([await _bob.ComputeAsync(_bobLease)]))).Accepted);
    }

    [Theory]
    [InlineData(0L, 2)]
    [InlineData(5L, 0)]
    [InlineData(10L, 0)]
    [InlineData(-1L, 0)]
    public async Task Report_of_a_replica_never_leased_is_refused_and_changes_nothing(long unitIndex, int replica)
    {
        var before = await SnapshotAsync();
        var report = _alice.Claim(new ReplicaRef(_job.Id, unitIndex, replica), 25);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        if (unitIndex < 0)
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "must not be negative");
        }
        else
        {
            var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, "not leased to this worker");
            Assert.Equal([(report.Ref, "NotLeasedToWorker")], Api.Refusals(problem));
        }
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_of_an_unknown_job_is_403_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var report = _alice.Claim(new ReplicaRef(Guid.NewGuid(), 0, 0), 25);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, "not leased to this worker");
        Assert.Equal([(report.Ref, "NotLeasedToWorker")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Replayed_report_is_409_and_changes_nothing()
    {
        var report = await _alice.ComputeAsync(_aliceLease);
        Assert.Equal(1, (await _alice.SyncAsync(new SyncRequest([report]))).Accepted);
        var before = await SnapshotAsync();
        Assert.Equal(ReplicaState.Reported, before.Alice.State);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report], RequestUnits: 1));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, "already been reported");
        Assert.Equal([(report.Ref, "AlreadyReported")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Replayed_report_after_its_unit_was_validated_is_409_and_changes_nothing()
    {
        var report = await _alice.ComputeAsync(_aliceLease);
        Assert.Equal(1, (await _alice.SyncAsync(new SyncRequest([report]))).Accepted);
        Assert.Equal(1, (await _bob.SyncAsync(new SyncRequest([await _bob.ComputeAsync(_bobLease)]))).Accepted);
        var before = await SnapshotAsync();
        Assert.Equal(ReplicaState.Valid, before.Alice.State);
        Assert.Equal(1, before.Units.Assimilated);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, "already been reported");
        Assert.Equal([(report.Ref, "AlreadyReported")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
    }

    [Theory]
    [InlineData("signed by another key")]
    [InlineData("signed for another worker id")]
    [InlineData("result changed after signing")]
    [InlineData("replica changed after signing")]
    [InlineData("outcome changed after signing")]
    [InlineData("another report dropped after signing")]
    [InlineData("not base64")]
    [InlineData("too long")]
    public async Task Report_with_a_bad_signature_is_403_and_changes_nothing(string kind)
    {
        var before = await SnapshotAsync();
        var honest = await _alice.ComputeAsync(_aliceLease);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrong = SimulatedWorker.Payload(99);
        var crashed = honest with { Outcome = ReportOutcome.Error, Digest = null, Size = 0, Payload = null, Error = "crashed" };
        var signature = kind switch
        {
            "signed by another key" => ReportSignature.Sign(stranger, _alice.Id, [honest]),
            "signed for another worker id" => ReportSignature.Sign(_alice.Key, _bob.Id, [honest]),
            "result changed after signing" => _alice.Sign([honest with
            {
                Digest = ContentDigest.Of(wrong),
                Size = wrong.Length,
                Payload = Convert.ToBase64String(wrong),
            }]),
            "replica changed after signing" => _alice.Sign([honest with { Replica = honest.Replica + 1 }]),
            "outcome changed after signing" => _alice.Sign([crashed]),
            "another report dropped after signing" => _alice.Sign([honest, honest with { UnitIndex = 1 }]),
            "not base64" => "this is not a signature",
            "too long" => Convert.ToBase64String(new byte[200]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([honest], RequestUnits: 1, Signature: signature));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, "signature does not verify");
        Assert.Equal([(_aliceLease.Ref, "BadSignature")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_without_a_signature_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var report = SimulatedWorker.Success(_aliceLease.Ref, SimulatedWorker.Payload(25));
        var unsigned = JsonSerializer.SerializeToNode(new SyncRequest([report]), ProtocolJson.Options)!.AsObject();
        unsigned.Remove("signature");

        using (var missing = await _alice.PostSyncAsync(JsonContent.Create(unsigned)))
        {
            await Api.AssertProblemAsync(missing, HttpStatusCode.BadRequest, "'signature' is required");
        }
        using (var empty = await _alice.PostSyncAsync(new SyncRequest([report], Signature: "")))
        {
            await Api.AssertProblemAsync(empty, HttpStatusCode.BadRequest, "'signature' is required");
        }

        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Theory]
    [InlineData("payload of another result")]
    [InlineData("size differs")]
    [InlineData("payload not base64")]
    [InlineData("payload missing")]
    public async Task Report_whose_payload_does_not_match_its_digest_is_400_and_changes_nothing(string kind)
    {
        var before = await SnapshotAsync();
        var honest = SimulatedWorker.Payload(PrimeSieve.CountPrimes(0, 100));
        var unchanged = SimulatedWorker.Success(_aliceLease.Ref, honest);
        // Signed after the change, so only the payload check can catch it.
        var report = kind switch
        {
            "payload of another result" => unchanged with { Payload = Convert.ToBase64String(SimulatedWorker.Payload(26)) },
            "size differs" => unchanged with { Size = honest.Length + 1 },
            "payload not base64" => unchanged with { Payload = "%%% not base64 %%%" },
            "payload missing" => unchanged with { Payload = null },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([report], RequestUnits: 1));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, $"unit 0 replica 0", "payload");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("md5:0123")]
    [InlineData("sha256:ABCDEF")]
    [InlineData("sha256:D4735E3A265E16EEE03F59718B9B5D03019C07D8B6C51F90DA3A666EEC13AB35")]
    public async Task Report_with_a_malformed_digest_is_400_and_changes_nothing(string? digest)
    {
        var before = await SnapshotAsync();
        var honest = await _alice.ComputeAsync(_aliceLease);
        var report = honest with { Digest = digest };

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'digest' must be");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_larger_than_the_inline_limit_is_413_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var big = new byte[64 * 1024 + 1];
        var report = SimulatedWorker.Success(_aliceLease.Ref, big);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "not accepted inline");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_above_the_inline_limit_by_digest_and_size_alone_is_accepted_and_its_payload_stays_at_the_edge()
    {
        var big = new byte[64 * 1024 + 1];
        big[^1] = 7;
        var report = SimulatedWorker.Success(_aliceLease.Ref, big) with { Payload = null };

        var response = await _alice.SyncAsync(new SyncRequest([report]));

        Assert.Equal(1, response.Accepted);
        var stored = await StoredAsync(_aliceLease.Ref);
        Assert.Equal(
            new StoredReplica(ReplicaState.Reported, _alice.Id, stored.Deadline, ReportOutcome.Success, ContentDigest.Of(big), big.Length, null, null),
            stored);
    }

    [Fact]
    public async Task Report_above_the_largest_result_is_413_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var honest = await _alice.ComputeAsync(_aliceLease);
        var report = honest with { Size = 64L * 1024 * 1024 + 1, Payload = null };

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        await Api.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "above 67108864 bytes are not accepted");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    private static readonly string SomeDigest = ContentDigest.Of([1, 2, 3]);

    public static TheoryData<string, string> BadPeerAdverts => new()
    {
        { "port 0", "'peer.port' must be between 1 and 65535" },
        { "port 65536", "'peer.port' must be between 1 and 65535" },
        { "negative upload cap", "'peer.uploadBytesPerSecond' must not be negative" },
        { "malformed digest added", "Every digest of 'peer.added'" },
        { "malformed digest removed", "Every digest of 'peer.removed'" },
        { "too many added", "'peer.added' lists at most 4096" },
        { "too many removed", "'peer.removed' lists at most 4096" },
    };

    [Theory]
    [MemberData(nameof(BadPeerAdverts))]
    public async Task Sync_with_a_bad_peer_advert_is_400_and_changes_nothing(string kind, string detail)
    {
        var before = await SnapshotAsync();
        var many = Enumerable.Range(0, 4097).Select(i => ContentDigest.Of(BitConverter.GetBytes(i))).ToList();
        var advert = kind switch
        {
            "port 0" => new PeerAdvert(0),
            "port 65536" => new PeerAdvert(65536),
            "negative upload cap" => new PeerAdvert(4000, UploadBytesPerSecond: -1),
            "malformed digest added" => new PeerAdvert(4000, Added: [SomeDigest, "sha256:ABC"]),
            "malformed digest removed" => new PeerAdvert(4000, Removed: ["md5:0123"]),
            "too many added" => new PeerAdvert(4000, Added: many, Complete: true),
            "too many removed" => new PeerAdvert(null, Removed: many),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], RequestUnits: 1, Peer: advert));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    public static TheoryData<string, string> BadTransfers => new()
    {
        { "malformed digest", "'digest' must be" },
        { "negative peer bytes", "'peerBytes' and 'coordinatorBytes' must be between 0" },
        { "negative coordinator bytes", "'peerBytes' and 'coordinatorBytes' must be between 0" },
        { "more bytes than any transfer", "'peerBytes' and 'coordinatorBytes' must be between 0" },
        { "too many bad holders", "'badHolders' must list 0 to 8" },
        { "null transfer", "'transfers' must not contain null" },
        { "too many transfers", "At most 4096 transfers" },
    };

    [Theory]
    [MemberData(nameof(BadTransfers))]
    public async Task Sync_with_a_bad_transfer_report_is_400_and_changes_nothing(string kind, string detail)
    {
        var before = await SnapshotAsync();
        var good = new TransferReport(_job.Id, SomeDigest, 10, 20, []);
        IReadOnlyList<TransferReport> transfers = kind switch
        {
            "malformed digest" => [good with { Digest = "sha256:xyz" }],
            "negative peer bytes" => [good, good with { PeerBytes = -1 }],
            "negative coordinator bytes" => [good with { CoordinatorBytes = -1 }],
            "more bytes than any transfer" => [good with { PeerBytes = long.MaxValue }],
            "too many bad holders" => [good with { BadHolders = [.. Enumerable.Range(0, 9).Select(_ => Guid.NewGuid())] }],
            "null transfer" => [good, null!],
            "too many transfers" => [.. Enumerable.Repeat(good, 4097)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], Transfers: transfers));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    public static TheoryData<string, string> BadRelayedBundles => new()
    {
        { "too many bundles", "At most 16 relayed bundles" },
        { "too many reports in all", "At most 512 reports fit in one sync, relayed ones included" },
        { "empty bundle", "carries at least one report" },
        { "no worker id", "'workerId' must name the worker" },
        { "no signature", "'signature' is required" },
        { "null bundle", "must not contain null bundles" },
        { "null report", "must not contain null bundles" },
        { "two jobs in a bundle", "must be of one job" },
        { "one replica twice", "reported more than once" },
        { "malformed report", "'digest' must be" },
        { "payload not matching", "does not match its 'size' and 'digest'" },
    };

    [Theory]
    [MemberData(nameof(BadRelayedBundles))]
    public async Task Sync_with_a_bad_relayed_bundle_is_400_and_changes_nothing(string kind, string detail)
    {
        var before = await SnapshotAsync();
        // Bob's honest report of his replica, relayed by Alice: only the shape of what is wrong may refuse the sync.
        var bobs = await _bob.ComputeAsync(_bobLease);
        var bundle = new RelayedReports(_bob.Id, [bobs], _bob.Sign([bobs]));
        var other = bobs with { JobId = Guid.NewGuid() };
        IReadOnlyList<RelayedReports> relayed = kind switch
        {
            "too many bundles" => [.. Enumerable.Repeat(bundle, 17)],
            "too many reports in all" => [bundle with { Reports = [.. Enumerable.Range(0, 512).Select(i => bobs with { UnitIndex = i })] }],
            "empty bundle" => [bundle with { Reports = [] }],
            "no worker id" => [bundle with { WorkerId = Guid.Empty }],
            "no signature" => [bundle with { Signature = "" }],
            "null bundle" => [bundle, null!],
            "null report" => [bundle with { Reports = [bobs, null!] }],
            "two jobs in a bundle" => [bundle with { Reports = [bobs, other] }],
            "one replica twice" => [bundle with { Reports = [bobs, bobs] }],
            "malformed report" => [bundle with { Reports = [bobs with { Digest = "sha256:0" }] }],
            "payload not matching" => [bundle with { Reports = [bobs with { Payload = Convert.ToBase64String(SimulatedWorker.Payload(3)) }] }],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], Relayed: relayed));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Error_report_without_a_message_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var report = new ReplicaReport(_job.Id, 0, 0, ReportOutcome.Error);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'error' message");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Duplicate_report_in_one_sync_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var report = await _alice.ComputeAsync(_aliceLease);

        using var response = await _alice.PostSyncAsync(new SyncRequest([report, report], RequestUnits: 1));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "reported more than once");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Two_different_reports_of_one_replica_in_one_sync_are_400_and_change_nothing()
    {
        var before = await SnapshotAsync();

        using var response = await _alice.PostSyncAsync(new SyncRequest(
            [_alice.Claim(_aliceLease.Ref, 25), _alice.Claim(_aliceLease.Ref, 26)]));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "reported more than once");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Reports_of_two_jobs_in_one_sync_are_400_and_change_nothing()
    {
        var before = await SnapshotAsync();
        var otherJob = _alice.Claim(new ReplicaRef(Guid.NewGuid(), 0, 0), 25);

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease), otherJob], RequestUnits: 1));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "must be of one job");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task One_bad_report_refuses_the_whole_sync_including_the_good_one()
    {
        // Alice also holds unit 1 now, so she has two honest reports to make.
        var second = Assert.Single(await _alice.LeaseAsync(1));
        var before = await SnapshotAsync();
        var secondBefore = await StoredAsync(second.Ref);
        var good = await _alice.ComputeAsync(_aliceLease);
        var stolen = _alice.Claim(_bobLease.Ref, 25);

        using var response = await _alice.PostSyncAsync(new SyncRequest([good, await _alice.ComputeAsync(second), stolen], RequestUnits: 3));

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Forbidden, "nothing in this sync was applied");
        Assert.Equal([(_bobLease.Ref, "NotLeasedToWorker")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
        Assert.Equal(secondBefore, await StoredAsync(second.Ref));
        var retried = await _alice.SyncAsync(new SyncRequest([good, await _alice.ComputeAsync(second)]));
        Assert.Equal(2, retried.Accepted);
    }

    [Theory]
    [InlineData("""{"reports":[],"requestUnits":1""", "JSON")]
    [InlineData("""{"reports":{},"requestUnits":1}""", "JSON")]
    [InlineData("""{"requestUnits":1.5}""", "JSON")]
    [InlineData("""{"requestUnits":"all"}""", "JSON")]
    [InlineData("""{"requestUnits":1,"priority":9}""", "JSON")]
    [InlineData("""{"reports":[{"jobId":"x","unitIndex":0,"replica":0,"outcome":"Success"}]}""", "JSON")]
    [InlineData("""{"reports":[{"unitIndex":0,"replica":0,"outcome":"Success"}]}""", "JSON")]
    [InlineData("""{"reports":[{"jobId":"00000000-0000-0000-0000-000000000001","unitIndex":0,"replica":0,"outcome":"Maybe"}]}""", "JSON")]
    [InlineData("", "body")]
    [InlineData("""{"transfers":[{"jobId":"00000000-0000-0000-0000-000000000001","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","peerBytes":1,"coordinatorBytes":0,"badHolders":null}]}""", "JSON")]
    [InlineData("""{"relayed":[{"workerId":"00000000-0000-0000-0000-000000000001","reports":null,"signature":"x"}]}""", "JSON")]
    [InlineData("""{"peer":{"port":"4000"}}""", "JSON")]
    public async Task Malformed_sync_is_400_and_changes_nothing(string body, string detail)
    {
        var before = await SnapshotAsync();

        using var response = await _alice.PostSyncAsync(Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Sync_with_more_reports_than_allowed_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var honest = await _alice.ComputeAsync(_aliceLease);
        var reports = Enumerable.Range(0, 513).Select(i => honest with { Replica = i }).ToList();
        reports[0] = honest;

        using var response = await _alice.PostSyncAsync(new SyncRequest(reports));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "At most 512 reports");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Sync_with_more_in_progress_replicas_than_allowed_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var inProgress = Enumerable.Range(0, 4097).Select(i => new ReplicaRef(_job.Id, i, 0)).ToList();

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)], inProgress, 1));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "At most 4096 in-progress");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Null_report_in_a_sync_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();

        using var response = await _alice.PostSyncAsync(Api.Json("""{"reports":[null],"requestUnits":1}"""));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Null_in_progress_entry_in_a_sync_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var report = await _alice.ComputeAsync(_aliceLease);
        var body = JsonSerializer.Serialize(new SyncRequest([report], RequestUnits: 1), ProtocolJson.Options)
            .Replace("\"inProgress\":null", "\"inProgress\":[null]", StringComparison.Ordinal);
        Assert.Contains("[null]", body, StringComparison.Ordinal);

        using var response = await _alice.PostSyncAsync(Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Report_with_an_undefined_outcome_is_400_and_changes_nothing()
    {
        var before = await SnapshotAsync();
        var payload = SimulatedWorker.Payload(25);
        var report = SimulatedWorker.Success(_aliceLease.Ref, payload) with { Outcome = (ReportOutcome)7 };

        using var response = await _alice.PostSyncAsync(new SyncRequest([report]));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "outcome");
        await AssertUnchangedAsync(before);
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Error_report_with_a_payload_that_is_not_base64_is_400_and_changes_nothing()
    {
        // Alice also holds unit 1; her honest report of it rides in the same sync as the bad one.
        var second = Assert.Single(await _alice.LeaseAsync(1));
        var before = await SnapshotAsync();
        var secondBefore = await StoredAsync(second.Ref);
        var error = new ReplicaReport(_job.Id, 0, 0, ReportOutcome.Error, Payload: "%%% not base64 %%%", Error: "out of memory");

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(second), error]));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "payload");
        await AssertUnchangedAsync(before);
        Assert.Equal(secondBefore, await StoredAsync(second.Ref));
        await AssertHonestReportStillAcceptedAsync();
    }

    [Fact]
    public async Task Cancelled_job_tells_its_workers_to_stop_and_refuses_their_reports_with_409()
    {
        await Api.CancelAsync(_jobs, _job.Id);
        var before = await SnapshotAsync();
        Assert.Equal(ReplicaState.Cancelled, before.Alice.State);

        var stop = await _alice.SyncAsync(new SyncRequest(InProgress: [_aliceLease.Ref], RequestUnits: 1));
        Assert.Equal([_aliceLease.Ref], stop.Cancelled);
        Assert.Empty(stop.Assignments);

        using var response = await _alice.PostSyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)]));
        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, "cancelled");
        Assert.Equal([(_aliceLease.Ref, "ReplicaCancelled")], Api.Refusals(problem));
        await AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task In_progress_replicas_still_wanted_are_not_cancelled()
    {
        var response = await _alice.SyncAsync(new SyncRequest(InProgress: [_aliceLease.Ref, _bobLease.Ref, new ReplicaRef(Guid.NewGuid(), 0, 0)]));

        // Alice keeps her own lease; Bob's replica and an unknown job's are not hers to compute.
        Assert.Equal(2, response.Cancelled.Count);
        Assert.DoesNotContain(_aliceLease.Ref, response.Cancelled);
        await AssertHonestReportStillAcceptedAsync();
    }

    private async Task AssertHonestReportStillAcceptedAsync()
    {
        var response = await _alice.SyncAsync(new SyncRequest([await _alice.ComputeAsync(_aliceLease)]));
        Assert.Equal(1, response.Accepted);
        var stored = await factory.FindReplicaAsync(_aliceLease.Ref);
        Assert.Equal(ReplicaState.Reported, stored!.State);
        Assert.Equal(_alice.Id, stored.WorkerId);
        Assert.Equal(SimulatedWorker.Payload(PrimeSieve.CountPrimes(0, 100)), stored.Payload);
    }

    private async Task<StoredReplica> StoredAsync(ReplicaRef replica)
    {
        var record = await factory.FindReplicaAsync(replica);
        Assert.NotNull(record);
        return new StoredReplica(record.State, record.WorkerId, record.Deadline, record.Outcome, record.Digest, record.Size,
            record.Payload is null ? null : Convert.ToBase64String(record.Payload), record.Error);
    }

    private async Task<Snapshot> SnapshotAsync()
    {
        var job = await Api.GetJobAsync(_jobs, _job.Id);
        return new Snapshot(job.State, job.Units, job.Progress, await StoredAsync(_aliceLease.Ref), await StoredAsync(_bobLease.Ref));
    }

    private async Task AssertUnchangedAsync(Snapshot before) => Assert.Equal(before, await SnapshotAsync());

    private sealed record StoredReplica(
        ReplicaState State, Guid? WorkerId, DateTimeOffset? Deadline, ReportOutcome? Outcome, string? Digest, long Size, string? Payload, string? Error);

    private sealed record Snapshot(JobState State, UnitCounts Units, double Progress, StoredReplica Alice, StoredReplica Bob);
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Testing;
using static Volunteer.Api.Tests.Apps.AppsApiCalls;

namespace Volunteer.Api.Tests.Apps;

/// <summary>
/// Jobs of registered apps through the job and worker APIs: a job names app@version or the app alone (its latest,
/// recorded as name@version); each assignment carries the signed module and where to fetch it; results of tolerance
/// apps validate within the tolerance and not beyond; metered credit is the least fuel of the quorum; fuel that cannot
/// be true is refused. The hosts are the tests' own, reporting what each test says.
/// </summary>
public sealed class AppJobsTests(AppsCoordinatorFactory factory) : IClassFixture<AppsCoordinatorFactory>, IAsyncLifetime
{
    private static int _nextNetwork;

    private readonly HttpClient _scientist = factory.CreateJobsClient();
    private readonly List<AccountHost> _hosts = [];

    public Task InitializeAsync() => Api.CancelRunningJobsAsync(_scientist);

    [Fact]
    public async Task A_job_naming_the_app_alone_runs_its_latest_version_and_records_it()
    {
        var echo = await UploadAsync(_scientist, WasmModules.Test("echo"));
        await RegisterAsync(_scientist, new AppRegistration("latest", "1.0", echo));
        await RegisterAsync(_scientist, new AppRegistration("latest", "0.9", echo));

        var byName = await Api.SubmitAsync(_scientist, UnitsJob("latest", "[1,2]"));
        var pinned = await Api.SubmitAsync(_scientist, UnitsJob("latest@1.0", "[1,2]"));
        await RegisterAsync(_scientist, new AppRegistration("latest", "2.0", echo));
        var afterwards = await Api.SubmitAsync(_scientist, UnitsJob("latest", "[3]"));

        // Latest is the one registered last, not the highest-looking version.
        Assert.Equal("latest@0.9", byName.App);
        Assert.Equal("latest@1.0", pinned.App);
        Assert.Equal("latest@2.0", afterwards.App);
        Assert.Equal(2, byName.UnitCount);
        // A job keeps the version it was submitted with.
        Assert.Equal("latest@0.9", (await Api.GetJobAsync(_scientist, byName.Id)).App);
        Assert.Equal("latest@0.9", (await factory.Store.FindJobAsync(byName.Id))!.App);

        using (var response = await _scientist.PostAsync(Api.JobsPath, Api.Json(UnitsJob("latest@7", "[1]"))))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest,
                "Unknown app 'latest@7'. Known apps: primes, checksum, mandelbrot, motifs", "latest (latest latest@2.0)");
        }
        using (var response = await _scientist.PostAsync(Api.JobsPath, Api.Json(UnitsJob("never-registered", "[1]"))))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "Unknown app 'never-registered'. Known apps: primes");
        }
        using (var response = await _scientist.PostAsync(Api.JobsPath, Api.Json("""{"app":"latest","parameters":{"units":"not a list"}}""")))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "Invalid parameters for app 'latest@2.0'");
        }
    }

    [Fact]
    public async Task Each_assignment_of_a_wasm_app_carries_its_signed_module_fetched_like_any_blob()
    {
        var module = WasmModules.Test("echo");
        var digest = await UploadAsync(_scientist, module);
        var version = await RegisterAsync(_scientist, new AppRegistration("shipped", "3", digest, Limits: new AppLimits(65536 * 4, 1_000_000)));
        var job = await Api.SubmitAsync(_scientist, UnitsJob("shipped@3", """["a","b"]""", ""","redundancy":{"targetResults":1,"minQuorum":1}"""));
        var host = await AttachAsync("fetcher");

        var assignments = await host.LeaseAsync(2);

        Assert.Equal([(job.Id, 0L), (job.Id, 1L)], assignments.Select(a => (a.JobId, a.UnitIndex)));
        var key = factory.Services.GetRequiredService<Volunteer.Coordinator.Blobs.CoordinatorKey>().Signer;
        foreach (var assignment in assignments)
        {
            Assert.Equal("shipped@3", assignment.App);
            var shipped = Assert.IsType<AppModule>(assignment.Module);
            Assert.Equal(("shipped", "3", new AppLimits(65536 * 4, 1_000_000), version.Signature), (shipped.Name, shipped.Version, shipped.Limits, shipped.Signature));
            var manifest = BlobManifest.Of(module);
            Assert.Equal((manifest.Digest, manifest.Size), (shipped.Source.Manifest.Digest, shipped.Source.Manifest.Size));
            Assert.Equal(manifest.Chunks, shipped.Source.Manifest.Chunks);
            Assert.Equal((host.Id, job.Id), (shipped.Source.Ticket.WorkerId, shipped.Source.Ticket.JobId));
            Assert.True(CoordinatorSignature.Verify(key, shipped));
            Assert.True(CoordinatorSignature.Verify(key, shipped.Source.Ticket, digest, DateTimeOffset.UtcNow));
        }

        // The worker fetches the module's chunk with its ticket, as it fetches any blob from the coordinator.
        using var fetch = new HttpRequestMessage(HttpMethod.Get, Blob.Path(digest) + "/chunks/0");
        fetch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Token);
        fetch.Headers.Add(PeerRoutes.TicketHeader, Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(assignments[0].Module!.Source.Ticket, ProtocolJson.Options)));
        using var client = AccountHost.ClientFrom(factory, host.Address);
        using var fetched = await client.SendAsync(fetch);
        await Api.AssertStatusAsync(fetched, HttpStatusCode.OK);
        Assert.Equal(module, await fetched.Content.ReadAsByteArrayAsync());

        // A built-in app's assignments carry no module.
        await Api.CancelAsync(_scientist, job.Id);
        await Api.SubmitAsync(_scientist, Api.PrimesJob(0, 100, 100, ""","redundancy":{"targetResults":1,"minQuorum":1}"""));
        Assert.Null(Assert.Single(await host.LeaseAsync(1)).Module);
    }

    [Fact]
    public async Task Float_results_within_the_tolerance_validate_and_beyond_it_call_for_another_replica()
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("integral"));
        await RegisterAsync(_scientist, new AppRegistration("tolerant", "1", module, new AppComparator(ComparatorKind.Tolerance, 0, 1e-9)));
        var job = await Api.SubmitAsync(_scientist, UnitsJob("tolerant", "[0,1]", ""","adaptive":false"""));
        var (first, second) = (await AttachAsync("first"), await AttachAsync("second"));
        var firstLeases = await first.LeaseAsync(2);
        var secondLeases = await second.LeaseAsync(2);
        Assert.Equal([0L, 1L], firstLeases.Select(a => a.UnitIndex));
        Assert.Equal([0L, 1L], secondLeases.Select(a => a.UnitIndex));

        // Unit 0: the two differ in the last bit of one number. Unit 1: by a millionth, far beyond the tolerance.
        var exact = new[] { 0.7853981633974483, 2.5 };
        var lastBit = new[] { BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(exact[0]) + 1), 2.5 };
        var beyond = new[] { exact[0] * (1 + 1e-6), 2.5 };
        await first.SyncAsync(Reports([Report(firstLeases[0], Float64(exact)), Report(firstLeases[1], Float64(exact))]));
        await second.SyncAsync(Reports([Report(secondLeases[0], Float64(lastBit)), Report(secondLeases[1], Float64(beyond))]));

        Assert.Equal([ReplicaState.Valid, ReplicaState.Valid], await ReplicaStatesAsync(job.Id, 0, 2));
        Assert.Equal([ReplicaState.Reported, ReplicaState.Reported, ReplicaState.Unsent], await ReplicaStatesAsync(job.Id, 1, 3));
        var counts = (await Api.GetJobAsync(_scientist, job.Id)).Units;
        Assert.Equal((1, 1), (counts.Assimilated, counts.InProgress));

        // The tie-breaker agrees with the first: unit 1 validates, the second host's result is invalid; the job's result
        // is the canonical float64 arrays.
        var third = await AttachAsync("third");
        var thirdLease = Assert.Single(await third.LeaseAsync(1));
        Assert.Equal((job.Id, 1L, 2), (thirdLease.JobId, thirdLease.UnitIndex, thirdLease.Replica));
        await third.SyncAsync(Reports([Report(thirdLease, Float64(exact))]));
        Assert.Equal([ReplicaState.Valid, ReplicaState.Invalid, ReplicaState.Valid], await ReplicaStatesAsync(job.Id, 1, 3));
        var completed = await Api.GetJobAsync(_scientist, job.Id);
        Assert.Equal(JobState.Completed, completed.State);
        var result = completed.Result!.Value.EnumerateArray().Select(unit => unit.EnumerateArray().Select(n => n.GetDouble()).ToArray()).ToList();
        Assert.Equal(2, result.Count);
        Assert.Equal(2.5, result[1][1]);
        Assert.Equal(exact[0], result[1][0]);
    }

    [Fact]
    public async Task A_reducer_module_folds_the_validated_results_into_the_jobs_result_on_the_coordinator()
    {
        var integral = await UploadAsync(_scientist, WasmModules.Example("integral"));
        var sum = await UploadAsync(_scientist, WasmModules.Example("sum"));
        await RegisterAsync(_scientist, new AppRegistration("summed", "1", integral, new AppComparator(ComparatorKind.Tolerance, 1e-12), Reducer: sum));
        var job = await Api.SubmitAsync(_scientist, UnitsJob("summed", "[0,1,2]", ""","redundancy":{"targetResults":1,"minQuorum":1},"adaptive":false"""));
        var host = await AttachAsync("folder");
        var leases = await host.LeaseAsync(3);

        await host.SyncAsync(Reports([Report(leases[0], Float64([1.5])), Report(leases[1], Float64([2.25])), Report(leases[2], Float64([-0.5]))]));

        var completed = await Api.GetJobAsync(_scientist, job.Id);
        Assert.Equal(JobState.Completed, completed.State);
        Assert.Equal("[3.25]", completed.Result!.Value.GetRawText());
    }

    [Fact]
    public async Task A_reducer_module_that_cannot_fold_a_result_fails_the_unit_and_blames_no_host()
    {
        var integral = await UploadAsync(_scientist, WasmModules.Example("integral"));
        var sum = await UploadAsync(_scientist, WasmModules.Example("sum"));
        await RegisterAsync(_scientist, new AppRegistration("summed-badly", "1", integral, new AppComparator(ComparatorKind.Tolerance, 1e-12), Reducer: sum));
        var job = await Api.SubmitAsync(_scientist, UnitsJob("summed-badly", "[0,1,2]", ""","adaptive":false"""));
        var (first, second) = (await AttachAsync("agreeing-1"), await AttachAsync("agreeing-2"));
        var firstLeases = await first.LeaseAsync(3);
        var secondLeases = await second.LeaseAsync(3);

        // Unit 1's result is two numbers, a plausible float64 array the hosts agree on, which sum.c refuses to add
        // (it takes one number a unit): the scientist's reducer fails, not the volunteers.
        await first.SyncAsync(Reports([Report(firstLeases[0], Float64([1.5])), Report(firstLeases[1], Float64([1, 2])), Report(firstLeases[2], Float64([-0.5]))]));
        await second.SyncAsync(Reports([Report(secondLeases[0], Float64([1.5])), Report(secondLeases[1], Float64([1, 2])), Report(secondLeases[2], Float64([-0.5]))]));

        // Of three units none may fail (the default share is 1%), so the unit's failure ends the job, with the reason.
        var ended = await Api.GetJobAsync(_scientist, job.Id);
        Assert.Equal(JobState.Failed, ended.State);
        Assert.StartsWith("Unit 1 failed: The job's reducer could not fold its result: ", ended.FailureReason, StringComparison.Ordinal);
        Assert.Equal([ReplicaState.Reported, ReplicaState.Reported], await ReplicaStatesAsync(job.Id, 1, 2));
        Assert.Equal([ReplicaState.Valid, ReplicaState.Valid], await ReplicaStatesAsync(job.Id, 0, 2));
    }

    [Fact]
    public async Task Metered_credit_is_the_least_fuel_the_quorum_reported_and_fuel_beyond_the_limit_is_refused()
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("primes"));
        await RegisterAsync(_scientist, new AppRegistration("metered", "1", module, Credit: new AppCredit(PerMillionFuel: 2),
            Limits: new AppLimits(64L * 1024 * 1024, 1_000_000_000)));
        // A unit accepted from one trusted host alone would be credited at whatever fuel that host claimed: metered jobs
        // are never adaptive.
        using (var adaptive = await _scientist.PostAsync("/" + Routes.Jobs, new StringContent(
            UnitsJob("metered", "[10,20]", ""","adaptive":true"""), Encoding.UTF8, "application/json")))
        {
            await Api.AssertProblemAsync(adaptive, HttpStatusCode.BadRequest, "credits per unit of fuel, which only a quorum can vouch for");
        }
        var job = await Api.SubmitAsync(_scientist, UnitsJob("metered", "[10,20]"));
        Assert.False(job.Adaptive);
        var (first, second) = (await AttachAsync("honest"), await AttachAsync("inflating"));
        var firstLeases = await first.LeaseAsync(2);
        var secondLeases = await second.LeaseAsync(2);
        var payload = Encoding.UTF8.GetBytes("""{"primeCount":4}""");

        // Fuel above the limit cannot be true: the sync is refused as bad input and nothing of it is applied.
        using (var refused = await second.PostSyncAsync(Reports([Report(secondLeases[0], payload, 1_000_000_001)])))
        {
            var problem = await Api.AssertProblemAsync(refused, HttpStatusCode.BadRequest, "above the fuel a unit of its app may burn");
            Assert.Equal([(secondLeases[0].Ref, "FuelAboveLimit")], Api.Refusals(problem));
        }
        using (var negative = await second.PostSyncAsync(Reports([Report(secondLeases[0], payload, -1)])))
        {
            await Api.AssertProblemAsync(negative, HttpStatusCode.BadRequest, "'fuel' must not be negative (it is -1)");
        }
        Assert.Equal(ReplicaState.Assigned, (await factory.FindReplicaAsync(secondLeases[0].Ref))!.State);

        // Unit 0: the inflating host claims the limit, the honest one 123,456,789: both are credited for the least.
        // Unit 1: both at the limit exactly: credited for the limit, no more.
        await first.SyncAsync(Reports([Report(firstLeases[0], payload, 123_456_789), Report(firstLeases[1], payload, 1_000_000_000)]));
        await second.SyncAsync(Reports([Report(secondLeases[0], payload, 1_000_000_000), Report(secondLeases[1], payload, 1_000_000_000)]));

        Assert.Equal(123_456_789, (await factory.FindReplicaAsync(firstLeases[0].Ref))!.Fuel);
        Assert.Equal(1_000_000_000, (await factory.FindReplicaAsync(secondLeases[0].Ref))!.Fuel);
        foreach (var host in new[] { first, second })
        {
            var credits = await factory.Store.ListCreditEntriesAsync(CreditHolder.Host, host.Id, 10);
            Assert.Equal([(0L, 2 * 123.456789), (1L, 2 * 1000.0)],
                credits.Where(c => c.JobId == job.Id).OrderBy(c => c.UnitIndex).Select(c => (c.UnitIndex, Math.Round(c.Amount, 9))));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
        await Api.CancelRunningJobsAsync(_scientist);
        _scientist.Dispose();
    }

    private async Task<AccountHost> AttachAsync(string name)
    {
        // Each host on a network and an account of its own, so replicas of one unit may go to any two of them.
        var network = Interlocked.Increment(ref _nextNetwork);
        var host = await AccountHost.AttachAsync(factory, name, $"198.51.{network}.7", accountKey: null);
        _hosts.Add(host);
        return host;
    }

    private async Task<IReadOnlyList<ReplicaState>> ReplicaStatesAsync(Guid jobId, long unit, int replicas)
    {
        var states = new List<ReplicaState>();
        for (var replica = 0; replica < replicas; replica++)
        {
            states.Add((await factory.FindReplicaAsync(new ReplicaRef(jobId, unit, replica)))!.State);
        }
        return states;
    }

    private static string UnitsJob(string app, string units, string extra = "") =>
        $$"""{"app":"{{app}}","parameters":{"units":{{units}}}{{extra}}}""";

    private static SyncRequest Reports(IReadOnlyList<ReplicaReport> reports) => new(Reports: reports, RequestUnits: 0);

    private static ReplicaReport Report(Assignment lease, byte[] payload, long? fuel = null) =>
        SimulatedWorker.Success(lease.Ref, payload) with { Fuel = fuel };

    /// <summary>A tolerance app's result: little-endian IEEE-754 float64s.</summary>
    private static byte[] Float64(IReadOnlyList<double> values)
    {
        var bytes = new byte[values.Count * 8];
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }
        return bytes;
    }
}

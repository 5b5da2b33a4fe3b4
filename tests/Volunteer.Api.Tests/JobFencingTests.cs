using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// Two activations of one job's grain, as a partition makes them: two coordinators over one PostgreSQL database,
/// each a cluster of its own, so each runs the job's grain believing it is the only one. Whichever claimed the
/// job's epoch last writes; the other's next commit is refused, it deactivates, and what the later one
/// acknowledged stays as it acknowledged it.
/// </summary>
public sealed class JobFencingTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private string _database = "";

    public async Task InitializeAsync() => _database = await postgres.CreateDatabaseAsync();

    public Task DisposeAsync() => postgres.DropDatabaseAsync(_database);

    [Fact]
    public async Task The_activation_that_lost_its_job_cannot_overwrite_what_the_later_one_acknowledged()
    {
        await using var east = new PartitionSide(_database, "east");
        await using var west = new PartitionSide(_database, "west");
        using var jobs = east.CreateJobsClient();
        // Two units, each computed twice by different hosts.
        var job = await Api.SubmitAsync(jobs, Api.PrimesJob(0, 200, 100));
        using var alice = await SimulatedWorker.AttachAsync(east, "alice");
        using var bob = await SimulatedWorker.AttachAsync(west, "bob");
        using var carol = await SimulatedWorker.AttachAsync(east, "carol");

        // East's activation (the submitter's epoch, 0) leases unit 0's first replica and acknowledges its report.
        var aliceLease = Assert.Single(await alice.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(job.Id, 0, 0), aliceLease.Ref);
        Assert.Equal(1, (await alice.SyncAsync(new SyncRequest([await alice.ComputeAsync(aliceLease)]))).Accepted);

        // West's activation claims epoch 1, reads alice's report, and leases and validates the unit's second replica.
        var bobLease = Assert.Single(await bob.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(job.Id, 0, 1), bobLease.Ref);
        Assert.Equal(1, (await bob.SyncAsync(new SyncRequest([await bob.ComputeAsync(bobLease)]))).Accepted);
        Assert.Equal(1, await EpochAsync(job.Id));
        var acknowledged = Stored(await west.Store.FindReplicaAsync(bobLease.Ref));
        Assert.Equal((ReplicaState.Valid, bob.Id), (acknowledged.Replica.State, acknowledged.Replica.WorkerId));

        // East's activation still holds that replica unsent and leases it to carol: its commit is refused.
        using (var refused = await carol.PostSyncAsync(new SyncRequest(RequestUnits: 1)))
        {
            await Api.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "retry");
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        }

        Assert.Equal(acknowledged, Stored(await west.Store.FindReplicaAsync(bobLease.Ref)));
        Assert.Equal(ReplicaState.Valid, (await west.Store.FindReplicaAsync(aliceLease.Ref))!.State);
        Assert.Equal((1L, 1L), await AssimilatedAndOpenedAsync(west, job.Id));
        Assert.Equal(1, await EpochAsync(job.Id));

        // Carol retries, as a worker does: once east's stale activation has deactivated, a new one claims epoch 2,
        // reads unit 0 as west left it, and leases from unit 1.
        Assignment? carolLease = null;
        Assert.True(await Api.EventuallyAsync(async () =>
        {
            using var retry = await carol.PostSyncAsync(new SyncRequest(RequestUnits: 1));
            if (retry.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }
            await Api.AssertStatusAsync(retry, HttpStatusCode.OK);
            carolLease = Assert.Single((await retry.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!.Assignments);
            return true;
        }, TimeSpan.FromSeconds(30)), "East never answered carol from a fresh activation of the job.");
        Assert.Equal(new ReplicaRef(job.Id, 1, 0), carolLease!.Ref);
        Assert.Equal(2, await EpochAsync(job.Id));

        // Now west's activation is the stale one: it would lease the same replica to bob, and is refused in turn.
        using (var refused = await bob.PostSyncAsync(new SyncRequest(RequestUnits: 1)))
        {
            await Api.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "retry");
        }
        var carols = await east.Store.FindReplicaAsync(carolLease.Ref);
        Assert.Equal((ReplicaState.Assigned, carol.Id), (carols!.State, carols.WorkerId));
        Assert.Equal(acknowledged, Stored(await east.Store.FindReplicaAsync(bobLease.Ref)));
    }

    /// <summary>A stored replica in a form that compares by value: its record without the payload, and the payload's bytes.</summary>
    private static (ReplicaRecord Replica, string Payload) Stored(ReplicaRecord? replica) =>
        (replica! with { Payload = null }, Convert.ToHexString(replica.Payload ?? []));

    /// <summary>The job's epoch as its row holds it.</summary>
    private async Task<long> EpochAsync(Guid jobId)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT epoch FROM jobs WHERE id = $1", connection) { Parameters = { new() { Value = jobId } } };
        return (long)(await query.ExecuteScalarAsync())!;
    }

    private static async Task<(long Assimilated, long Opened)> AssimilatedAndOpenedAsync(CoordinatorFactory side, Guid jobId)
    {
        var job = await side.Store.FindJobAsync(jobId);
        return (job!.UnitsAssimilated, job.UnitsOpened);
    }
}

/// <summary>
/// One side of a partition: the coordinator as a cluster of its own (its own cluster id, so its silo never
/// meets the other side's) over a PostgreSQL database both sides share.
/// </summary>
public sealed class PartitionSide(string connectionString, string clusterId) : CoordinatorFactory(new Dictionary<string, string>
{
    ["ConnectionStrings:Volunteer"] = connectionString,
    ["Orleans:ClusterId"] = clusterId,
    ["Orleans:AdvertisedIP"] = "127.0.0.1",
});

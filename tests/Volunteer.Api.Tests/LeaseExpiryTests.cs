using System.Net;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Apps.Primes;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// A lease that misses its deadline, on the real clock: a one-second deadline and a coordinator that
/// sweeps every 200 ms. Every wait is bounded.
/// </summary>
public sealed class LeaseExpiryTests(FastSweepCoordinatorFactory factory) : JobScenario<FastSweepCoordinatorFactory>(factory), IClassFixture<FastSweepCoordinatorFactory>
{
    [Fact]
    public async Task A_late_report_is_409_and_a_replacement_goes_out()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100,
            ""","redundancy":{"targetResults":1,"minQuorum":1,"maxErrorResults":3,"maxTotalResults":3},"deadlineSeconds":1"""));
        var slow = await AttachAsync("slow");
        var quick = await AttachAsync("quick");
        var lost = Assert.Single(await slow.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(job.Id, 0, 0), lost.Ref);
        Assert.InRange(lost.Deadline, DateTimeOffset.UtcNow.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(2));

        // Until the lease expires there is nothing for anyone else; then a replacement goes out to
        // whoever asks (a worker whose lease timed out cast no vote, so it could take it too).
        Assignment? replacement = null;
        var replaced = await Api.EventuallyAsync(async () =>
        {
            replacement = (await quick.LeaseAsync(1)).SingleOrDefault();
            return replacement is not null;
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        Assert.True(replaced, "No replacement replica was issued within 15 s of a 1 s deadline.");
        Assert.Equal(new ReplicaRef(job.Id, 0, 1), replacement!.Ref);
        Assert.Equal(ReplicaState.TimedOut, (await Factory.FindReplicaAsync(lost.Ref))!.State);

        // The replacement is reported at once (its own deadline is a second away).
        Assert.Equal(1, (await quick.SyncAsync(new SyncRequest([await quick.ComputeAsync(replacement)]))).Accepted);

        // The slow worker is told to drop its replica, and its late report is refused.
        var told = await slow.SyncAsync(new SyncRequest(InProgress: [lost.Ref]));
        Assert.Equal([lost.Ref], told.Cancelled);
        using var late = await slow.PostSyncAsync(new SyncRequest([await slow.ComputeAsync(lost)]));
        var problem = await Api.AssertProblemAsync(late, HttpStatusCode.Conflict, "lease of this replica expired");
        Assert.Equal([(lost.Ref, "LeaseExpired")], Api.Refusals(problem));
        Assert.Equal(ReplicaState.TimedOut, (await Factory.FindReplicaAsync(lost.Ref))!.State);

        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(PrimeSieve.CountPrimes(0, 100), done.Result!.Value.GetProperty("primeCount").GetInt64());
    }
}

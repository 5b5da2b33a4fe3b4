using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// Grain messages as they cross between silos: every one survives a round trip through the silo's
/// serializer, domain records and protocol values inside them included. (Within one silo they pass by
/// reference, so only a cluster would otherwise notice a message that cannot be copied.)
/// </summary>
public sealed class GrainMessageSerializationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid JobId = Guid.Parse("0b8e9f5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b");

    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddGrainMessageSerializers())
        .BuildServiceProvider();

    private readonly Serializer _serializer = Services.GetRequiredService<Serializer>();

    [Fact]
    public void A_jobs_sync_passes_within_a_silo_by_reference_host_and_all()
    {
        // A domain record passed alone would be copied through JSON on every call (VolunteerHost was, once per sync).
        var sync = new JobSync(new VolunteerHost(Guid.NewGuid(), Guid.NewGuid(), null), [], [new ReplicaRef(JobId, 5, 0)], 2);
        var copier = Services.GetRequiredService<DeepCopier<JobSync>>();

        var copy = copier.Copy(sync);

        // The same message, so the same host in it: nothing is copied.
        Assert.Same(sync, copy);
    }

    [Fact]
    public void A_jobs_sync_with_results_and_held_replicas_round_trips()
    {
        var sync = new JobSync(
            new VolunteerHost(Guid.NewGuid(), Guid.NewGuid(), "203.0.113.0/24", Cores: 4, Trusted: true, UsualTurnaroundSeconds: 312.5),
            [
                new ReplicaResult(new ReplicaRef(JobId, 3, 1), ReportOutcome.Success, "sha256:" + new string('a', 64), 3, [1, 2, 3], null),
                new ReplicaResult(new ReplicaRef(JobId, 4, 0), ReportOutcome.Error, null, 0, null, "out of memory"),
            ],
            [new ReplicaRef(JobId, 5, 0)],
            Wanted: 8);

        var copy = RoundTrip(sync);

        Assert.Equal(sync.Host, copy.Host);
        Assert.Equal(sync.Wanted, copy.Wanted);
        Assert.Equal(sync.InProgress, copy.InProgress);
        Assert.Equal(2, copy.Results.Count);
        Assert.Equal([1, 2, 3], copy.Results[0].Payload);
        Assert.Equal(sync.Results[0] with { Payload = null }, copy.Results[0] with { Payload = null });
        Assert.Equal(sync.Results[1], copy.Results[1]);
    }

    [Fact]
    public void A_jobs_sync_outcome_with_refusals_cancellations_and_leases_round_trips()
    {
        var outcome = new JobSyncOutcome(
            [new RefusedReport(new ReplicaRef(JobId, 1, 0), ReportVerdict.LeaseExpired)],
            [new ReplicaRef(JobId, 2, 1)],
            "primes",
            [new ReplicaLease(JobId, 7, 2, """{"from":700,"to":800}""", Now)]);

        var copy = RoundTrip(outcome);

        Assert.Equal(outcome.Refused, copy.Refused);
        Assert.Equal(outcome.Cancelled, copy.Cancelled);
        Assert.Equal(outcome.App, copy.App);
        Assert.Equal(outcome.Leases, copy.Leases);
    }

    [Fact]
    public void A_jobs_status_round_trips()
    {
        var job = new JobRecord(JobId, "primes", """{"from":0,"to":1000,"unitSize":100}""", new Redundancy(3, 2, 1, 5), 60, 4,
            10, 6, 5, 0, JobState.Completed, """{"primeCount":168}""", null, Now, Now.AddMinutes(3));
        var status = JobStatus.Ended(job);

        var copy = RoundTrip(status);

        Assert.Equal(status.Job, copy.Job);
        Assert.Equal(status.Units, copy.Units);
        Assert.Equal(job.Parameters, copy.Parameters.GetRawText());
    }

    [Fact]
    public void A_job_spec_round_trips()
    {
        using var parameters = JsonDocument.Parse("""{"units":5,"seed":1}""");
        var spec = new JobSpec("checksum", parameters.RootElement.Clone(), Redundancy.Default, 3600, -3, 5, """{"units":0}""");

        var copy = RoundTrip(spec);

        Assert.Equal(spec with { Parameters = default }, copy with { Parameters = default });
        Assert.Equal("""{"units":5,"seed":1}""", copy.Parameters.GetRawText());
    }

    [Fact]
    public void A_stale_epochs_refusal_reaches_a_caller_on_another_silo_as_itself()
    {
        // A grain call's failure travels as an Exception; the HTTP layer answers this one 503, not 500.
        Exception refusal = new StaleEpochException(new JobEpoch(JobId, 4));

        var copy = Assert.IsType<StaleEpochException>(RoundTrip(refusal));

        Assert.Equal((JobId, 4L, refusal.Message), (copy.JobId, copy.Epoch, copy.Message));
    }

    [Fact]
    public void A_hosts_sync_with_a_peer_advert_and_its_outcome_with_peer_directions_round_trip()
    {
        var digest = "sha256:" + new string('b', 64);
        var sync = new HostSync(new VolunteerHost(Guid.NewGuid(), Guid.NewGuid(), "203.0.113.0/24"), [], null, 2,
            new PeerContact(new PeerAdvert(40123, [digest], [], Complete: true, UploadBytesPerSecond: 5), "203.0.113.7", "203.0.113.0/24"),
            Relayed: true);
        var outcome = new HostSyncOutcome([], [], [new JobSyncOutcome([], [], "motifs", [], InputBlobs: [digest])],
            new HostPeerDirections(true, "http://203.0.113.7:40123/", "203.0.113.0/24", [digest], [digest],
                new PeerPass(Guid.NewGuid(), "key", Now, "signature")));
        var holder = new BlobHolder(Guid.NewGuid(), Guid.NewGuid(), "http://203.0.113.7:40123/", null, 0);

        var (syncCopy, outcomeCopy) = (RoundTrip(sync), RoundTrip(outcome));

        Assert.Equal(sync with { Results = [], Peer = null }, syncCopy with { Results = [], Peer = null });
        Assert.Equal(sync.Peer! with { Advert = null! }, syncCopy.Peer! with { Advert = null! });
        Assert.Equal([digest], syncCopy.Peer!.Advert.Added!);
        Assert.Equal((40123, true, 5L), (syncCopy.Peer.Advert.Port, syncCopy.Peer.Advert.Complete, syncCopy.Peer.Advert.UploadBytesPerSecond));
        Assert.Equal([digest], Assert.Single(outcomeCopy.Jobs).InputBlobs!);
        Assert.Equal(outcome.Peer! with { Uploads = [], Release = [] }, outcomeCopy.Peer! with { Uploads = [], Release = [] });
        Assert.Equal([digest], outcomeCopy.Peer!.Uploads);
        Assert.Equal(holder, RoundTrip(holder));
    }

    private T RoundTrip<T>(T message) => _serializer.Deserialize<T>(_serializer.SerializeToArray(message))!;
}

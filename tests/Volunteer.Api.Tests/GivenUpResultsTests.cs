using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A result that stays at the edge with volunteers who never deliver it (gone for good: never listed, never uploading)
/// is given up after the rounds allowed: its unit fails, and the job ends rather than wait forever.
/// </summary>
public sealed class GivenUpResultsTests(ImpatientPullsCoordinatorFactory factory) : IClassFixture<ImpatientPullsCoordinatorFactory>, IAsyncLifetime
{
    private readonly HttpClient _jobs = factory.CreateJobsClient();
    private readonly List<IDisposable> _hosts = [];

    public Task InitializeAsync() => Api.CancelRunningJobsAsync(_jobs);

    public Task DisposeAsync()
    {
        _hosts.ForEach(h => h.Dispose());
        _jobs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_payload_whose_holders_never_deliver_it_is_given_up_and_its_unit_fails()
    {
        var job = await Api.SubmitAsync(_jobs, BulkyResultsApp.Job(units: 1, size: 150_001));
        var erin = await AttachAsync("erin", "127.0.91.1");
        var frank = await AttachAsync("frank", "127.0.92.1");
        foreach (var host in new[] { erin, frank })
        {
            var lease = Assert.Single(await host.LeaseAsync(1));
            var payload = BulkyResultsApp.PayloadOf(lease.UnitIndex, lease.Input.GetProperty("size").GetInt32());
            // Behind NAT and, after this, never heard from again.
            await host.SyncAsync(new SyncRequest(
                [new ReplicaReport(lease.JobId, lease.UnitIndex, lease.Replica, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length)],
                Peer: new PeerAdvert(null)));
        }

        // Two rounds of a second for each of the two holders.
        JobView? view = null;
        Assert.True(await Api.EventuallyAsync(async () => (view = await Api.GetJobAsync(_jobs, job.Id)).State != JobState.Running, TimeSpan.FromSeconds(60)),
            $"Job {job.Id} still waits: {view?.Units}");

        Assert.Equal((JobState.Failed, new UnitCounts(0, 0, 0, 0, 1)), (view!.State, view.Units));
        Assert.Contains("no volunteer holding its result", view.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, view.Relay!.ResultsPulled);
    }

    private async Task<AccountHost> AttachAsync(string name, string address)
    {
        var host = await AccountHost.AttachAsync(factory, name, address, accountKey: null);
        _hosts.Add(host);
        return host;
    }
}

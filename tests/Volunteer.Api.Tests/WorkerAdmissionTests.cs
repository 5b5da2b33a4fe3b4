using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Api;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>A coordinator that serves one volunteer request at a time, so a test can hold the one slot.</summary>
public sealed class OneWorkerRequestAtATimeCoordinatorFactory : CoordinatorFactory
{
    public OneWorkerRequestAtATimeCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:MaxWorkerRequestsInFlight"] = "1" })
    {
    }
}

/// <summary>
/// Load shedding (<see cref="WorkerAdmission"/>): past the volunteers' requests a silo serves at once, a sync, an attach
/// or a sign-up is answered 503 with Retry-After at once and changes nothing; the job API is not counted; and a slot is
/// free again once the request holding it is answered.
/// </summary>
public sealed class WorkerAdmissionTests(OneWorkerRequestAtATimeCoordinatorFactory factory) : IClassFixture<OneWorkerRequestAtATimeCoordinatorFactory>
{
    [Fact]
    public async Task Requests_past_the_limit_in_flight_are_503_with_Retry_After_until_the_slot_is_free()
    {
        using var holder = await SimulatedWorker.AttachAsync(factory, "holder");
        using var other = await SimulatedWorker.AttachAsync(factory, "other");
        var workersBefore = await factory.CountWorkersAsync();

        // The one slot is taken, as by a request being served (the in-memory test server sends a body whole, so a
        // request cannot be held half-sent here).
        var admission = factory.Services.GetRequiredService<WorkerAdmission>();
        Assert.True(admission.TryEnter());

        using (var shed = await other.PostSyncAsync(new SyncRequest()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
            Assert.InRange(shed.Headers.RetryAfter!.Delta!.Value,
                TimeSpan.FromSeconds(WorkerAdmission.MinRetryAfterSeconds), TimeSpan.FromSeconds(WorkerAdmission.MaxRetryAfterSeconds));
            Assert.Equal("application/problem+json", shed.Content.Headers.ContentType?.MediaType);
        }
        using (var client = factory.CreateClient())
        using (var attach = await new SimulatedHost(client, client.BaseAddress!).PostAttachAsync("shed", 1))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, attach.StatusCode);
        }
        Assert.Equal(workersBefore, await factory.CountWorkersAsync());
        // Scientists' requests are not volunteers' and are never shed.
        using (var jobs = factory.CreateJobsClient())
        using (var list = await jobs.GetAsync(Routes.Jobs))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        admission.Leave();
        Assert.Equal(0, (await holder.SyncAsync(new SyncRequest())).Accepted);
        Assert.Equal(0, admission.InFlight);
        Assert.Equal(0, (await other.SyncAsync(new SyncRequest())).Accepted);
    }
}

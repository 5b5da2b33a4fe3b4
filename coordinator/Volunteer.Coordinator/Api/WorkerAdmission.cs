using System.Globalization;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Telemetry;

namespace Volunteer.Coordinator.Api;

/// <summary>Marks an endpoint volunteers' agents call in herds (sync, attach, sign-up): admitted by <see cref="WorkerAdmission"/>.</summary>
public sealed class AdmittedWorkerRequest;

/// <summary>
/// Load shedding for the volunteer-facing endpoints: at most <see cref="VolunteerOptions.MaxWorkerRequestsInFlight"/>
/// are served at once on this silo, and the rest are answered 503 with Retry-After before anything is read, parsed or
/// looked up. A population herd (a project's launch, every host's first sync after a restart) then waits in the agents'
/// backoff rather than in the silo's memory, and the requests admitted keep their latency.
/// </summary>
public sealed class WorkerAdmission(IOptions<VolunteerOptions> options, CoordinatorMetrics metrics)
{
    /// <summary>
    /// The seconds a shed request is told to wait are drawn from this range, so that a herd shed together comes back
    /// spread out (the agent waits what Retry-After says instead of its own backoff, which starts at half a second).
    /// </summary>
    public const int MinRetryAfterSeconds = 5, MaxRetryAfterSeconds = 30;

    private readonly int _limit = options.Value.MaxWorkerRequestsInFlight;
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= _limit)
        {
            return true;
        }
        Interlocked.Decrement(ref _inFlight);
        metrics.WorkerRequestsShed.Add(1);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

public static class WorkerAdmissionSetup
{
    public static TBuilder RequireAdmission<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new AdmittedWorkerRequest());

    /// <summary>Before the credentials, whose check may read the store.</summary>
    public static IApplicationBuilder UseWorkerAdmission(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<AdmittedWorkerRequest>() is null)
        {
            await next(http);
            return;
        }
        var admission = http.RequestServices.GetRequiredService<WorkerAdmission>();
        if (!admission.TryEnter())
        {
            // An empty 503, which the status code pages answer as a problem.
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = Random.Shared.Next(WorkerAdmission.MinRetryAfterSeconds, WorkerAdmission.MaxRetryAfterSeconds + 1)
                .ToString(CultureInfo.InvariantCulture);
            return;
        }
        try
        {
            await next(http);
        }
        finally
        {
            admission.Leave();
        }
    });
}

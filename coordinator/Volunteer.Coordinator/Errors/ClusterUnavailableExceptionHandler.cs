using Microsoft.AspNetCore.Diagnostics;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Errors;

/// <summary>
/// While a silo is dying and before the cluster has declared it dead, calls to its grains fail; during a
/// partition a job's grain may run twice, and the activation that lost the job (<see cref="StaleEpochException"/>)
/// refuses to write. Those are passing conditions, not server bugs: answer 503 with Retry-After so clients
/// (workers retry) come back, and reach the job's current activation.
/// </summary>
public sealed class ClusterUnavailableExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or StaleEpochException))
        {
            return false;
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The coordinator cluster is recovering.",
                Detail = "Part of the cluster is unavailable while it recovers from a lost silo or a partition; retry shortly.",
            },
        });
    }
}

using Microsoft.AspNetCore.Diagnostics;

namespace Volunteer.Coordinator.Errors;

/// <summary>
/// While a silo is dying and before the cluster has declared it dead, calls to its grains fail. That is
/// a passing condition, not a server bug: answer 503 with Retry-After so clients (workers retry) come back.
/// </summary>
public sealed class ClusterUnavailableExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (SiloUnavailableException or OrleansMessageRejectionException or TimeoutException))
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
                Detail = "Part of the cluster is unavailable while it recovers from a lost silo; retry shortly.",
            },
        });
    }
}

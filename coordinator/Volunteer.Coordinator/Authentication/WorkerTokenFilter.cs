using Volunteer.Coordinator.Errors;

namespace Volunteer.Coordinator.Authentication;

/// <summary>Admits worker API calls with a valid "Authorization: Bearer &lt;token&gt;"; the worker is in HttpContext.Items.</summary>
public sealed class WorkerTokenFilter(WorkerDirectory workers) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Problems.Unauthorized("The worker API needs the worker's token as 'Authorization: Bearer <token>'.");
        }
        var worker = await workers.AuthenticateAsync(header["Bearer ".Length..].Trim(), http.RequestAborted);
        if (worker is null)
        {
            return Problems.Unauthorized("The worker token is not recognised.");
        }
        http.Items[typeof(AttachedWorker)] = worker;
        return await next(context);
    }
}

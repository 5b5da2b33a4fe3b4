using Volunteer.Coordinator.Errors;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Authentication;

/// <summary>Admits job API calls that carry a known key in the X-Api-Key header.</summary>
public sealed class ApiKeyFilter(ApiKeys apiKeys) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(Routes.ApiKeyHeader, out var key) || string.IsNullOrEmpty(key))
        {
            return Problems.Unauthorized($"The job API needs an API key in the {Routes.ApiKeyHeader} header.");
        }
        if (!await apiKeys.IsValidAsync(key, http.RequestAborted))
        {
            return Problems.Unauthorized("The API key is not recognised.");
        }
        return await next(context);
    }
}

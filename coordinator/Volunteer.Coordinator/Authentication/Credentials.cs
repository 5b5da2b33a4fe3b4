using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Errors;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Authentication;

/// <summary>Marks an endpoint of the job API: callers need a known key in the API key header.</summary>
public sealed class ApiKeyRequired;

/// <summary>Marks an endpoint of the worker API: callers need "Authorization: Bearer &lt;worker token&gt;".</summary>
public sealed class WorkerTokenRequired;

/// <summary>
/// Marks an endpoint open to scientists and workers alike (a blob's manifest or chunks): callers need an API key or,
/// without the API key header, a worker token. The endpoint tells them apart by <see cref="Credentials.AttachedWorker"/>.
/// </summary>
public sealed class ApiKeyOrWorkerTokenRequired;

/// <summary>
/// Checks the credentials an endpoint asks for before anything else happens to the request: a caller
/// without them is refused before its body is read, parsed or rate-counted. An attached worker is
/// then in HttpContext.Items, where the worker rate limit and the endpoint find it.
/// </summary>
public static class Credentials
{
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new ApiKeyRequired());

    public static TBuilder RequireWorkerToken<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new WorkerTokenRequired());

    public static TBuilder RequireApiKeyOrWorkerToken<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new ApiKeyOrWorkerTokenRequired());

    /// <summary>The worker the request was authenticated as, if the endpoint asks for a worker token.</summary>
    public static AttachedWorker? AttachedWorker(this HttpContext http) => http.Items[typeof(AttachedWorker)] as AttachedWorker;

    /// <summary>Adds the check to the pipeline; it must come after routing, which finds the endpoint's metadata.</summary>
    public static IApplicationBuilder UseCredentials(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var metadata = http.GetEndpoint()?.Metadata;
        var refusal = metadata?.GetMetadata<ApiKeyRequired>() is not null ? await CheckApiKeyAsync(http)
            : metadata?.GetMetadata<WorkerTokenRequired>() is not null ? await CheckWorkerTokenAsync(http)
            : metadata?.GetMetadata<ApiKeyOrWorkerTokenRequired>() is not null
                ? http.Request.Headers.ContainsKey(Routes.ApiKeyHeader) ? await CheckApiKeyAsync(http) : await CheckWorkerTokenAsync(http)
            : null;
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        await next(http);
    });

    private static async Task<ProblemHttpResult?> CheckApiKeyAsync(HttpContext http)
    {
        if (!http.Request.Headers.TryGetValue(Routes.ApiKeyHeader, out var key) || string.IsNullOrEmpty(key))
        {
            return Problems.Unauthorized($"The job API needs an API key in the {Routes.ApiKeyHeader} header.");
        }
        var apiKeys = http.RequestServices.GetRequiredService<ApiKeys>();
        return await apiKeys.IsValidAsync(key, http.RequestAborted) ? null : Problems.Unauthorized("The API key is not recognised.");
    }

    private static async Task<ProblemHttpResult?> CheckWorkerTokenAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Problems.Unauthorized("The worker API needs the worker's token as 'Authorization: Bearer <token>'.");
        }
        var workers = http.RequestServices.GetRequiredService<WorkerDirectory>();
        var worker = await workers.AuthenticateAsync(header["Bearer ".Length..].Trim(), http.RequestAborted);
        if (worker is null)
        {
            return Problems.Unauthorized("The worker token is not recognised.");
        }
        http.Items[typeof(AttachedWorker)] = worker;
        return null;
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Volunteer.Coordinator.Errors;

/// <summary>
/// Turns request-binding failures (malformed JSON, missing body, wrong types) into 400 problem
/// details that quote the parser's own explanation, instead of an empty response.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }
        var detail = badRequest.InnerException is JsonException json
            ? $"The request body is not valid JSON for this endpoint: {json.Message}"
            : badRequest.Message;
        context.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = badRequest.StatusCode, Title = "The request is not valid.", Detail = detail },
        });
    }
}

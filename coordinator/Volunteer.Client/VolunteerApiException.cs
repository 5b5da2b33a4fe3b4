using System.Net;

namespace Volunteer.Client;

/// <summary>
/// The coordinator refused a request: its HTTP status and the problem detail it answered with (RFC 7807), whose
/// <c>detail</c> is this exception's message, so a caller can show the coordinator's own words.
/// </summary>
public sealed class VolunteerApiException(HttpStatusCode status, string? title, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's title (e.g. "The request is not valid."), when it had one.</summary>
    public string? Title { get; } = title;
}

using Microsoft.AspNetCore.Http.Metadata;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// The largest request body an endpoint reads, fitted to what it takes; routing applies it to the
/// server's limit before the body is read, and a larger one is refused with 413.
/// </summary>
public sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

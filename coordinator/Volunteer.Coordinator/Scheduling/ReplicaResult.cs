using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A worker's result for one replica, as checked at the API edge: the payload decoded and matched
/// against its digest and size, the signature verified.
/// </summary>
public sealed record ReplicaResult(
    ReplicaRef Replica,
    ReportOutcome Outcome,
    string? Digest,
    long Size,
    byte[]? Payload,
    string? Error);

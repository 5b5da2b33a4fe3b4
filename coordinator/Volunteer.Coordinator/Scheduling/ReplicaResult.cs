using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A worker's result for one replica, as checked at the API edge: the payload decoded and matched
/// against its digest and size, the signature verified.
/// </summary>
/// <param name="Fuel">The fuel the unit burned, as the worker signed it (WebAssembly apps); null when not told.</param>
public sealed record ReplicaResult(
    ReplicaRef Replica,
    ReportOutcome Outcome,
    string? Digest,
    long Size,
    byte[]? Payload,
    string? Error,
    long? Fuel = null);

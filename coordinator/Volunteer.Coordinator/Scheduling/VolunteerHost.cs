namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host as replica placement sees it in one sync: who it is, whose it is, and where it syncs from.
/// </summary>
/// <param name="Network">The network of the sync's address (e.g. "203.0.113.0/24"); null when networks are not separated or unknown.</param>
public sealed record VolunteerHost(Guid WorkerId, Guid AccountId, string? Network);

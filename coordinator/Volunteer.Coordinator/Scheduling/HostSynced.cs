namespace Volunteer.Coordinator.Scheduling;

/// <summary>A host's sync, as the sync endpoint records it for the dashboard (when the host was last seen).</summary>
public sealed record HostSynced(Guid WorkerId, DateTimeOffset At);

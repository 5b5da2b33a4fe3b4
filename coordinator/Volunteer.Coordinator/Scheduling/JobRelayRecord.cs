using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A stretch of one job's relay figures; stored figures are the sum of every stretch committed (an additive merge,
/// as for <see cref="HostReliabilityRecord"/>).
/// </summary>
public sealed record JobRelayRecord(Guid JobId, JobRelay Figures);

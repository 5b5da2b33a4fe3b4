using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>Every job's figures summed, as stored.</summary>
/// <param name="UnitsAssimilated">Units assimilated by all jobs, running or ended (as of each running job's last commit).</param>
/// <param name="EndedRelay">The relay figures of the jobs that are not running (a running job's grain has its own, fresher).</param>
public sealed record JobTotals(long UnitsAssimilated, JobRelay EndedRelay);

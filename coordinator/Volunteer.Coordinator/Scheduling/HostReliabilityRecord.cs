namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host's record with one app (BOINC's host_app_version): its results as judged, its run of valid results and
/// its turnaround. In a <see cref="WorkBatch"/> it is a stretch to add to the stored record (the store adds it with
/// <see cref="HostTally.Then"/>'s rule, in the job's own commit, so it is as durable as the judgement it counts);
/// read from the store it is the whole record.
/// </summary>
public sealed record HostReliabilityRecord(Guid WorkerId, string App, HostTally Tally, DateTimeOffset UpdatedAt)
{
    /// <summary>This record followed by a later stretch of the same host and app.</summary>
    public HostReliabilityRecord Then(HostReliabilityRecord later) =>
        this with { Tally = Tally.Then(later.Tally), UpdatedAt = later.UpdatedAt > UpdatedAt ? later.UpdatedAt : UpdatedAt };
}

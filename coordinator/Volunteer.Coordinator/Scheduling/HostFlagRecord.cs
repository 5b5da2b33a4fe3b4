namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host found returning more valid results of an app per hour than its reported cores could compute: it loses
/// adaptive trust (every unit it gets is replicated) and is listed for operators. One row per host and app; a
/// later flag replaces the earlier one.
/// </summary>
/// <param name="ResultsPerHour">Valid results of the app it returned in the hour before it was flagged.</param>
/// <param name="CapacityPerHour">What its cores could compute in an hour at the app's measured cost per unit.</param>
public sealed record HostFlagRecord(
    Guid WorkerId,
    string App,
    DateTimeOffset FlaggedAt,
    double ResultsPerHour,
    double CapacityPerHour,
    string Reason);

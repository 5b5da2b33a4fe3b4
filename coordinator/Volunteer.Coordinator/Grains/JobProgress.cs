using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>How far a job is: its units by state and how its data moved (<see cref="IJobGrain.GetProgressAsync"/>).</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.JobProgress")]
public sealed record JobProgress([property: Id(0)] UnitCounts Units, [property: Id(1)] JobRelay Relay);

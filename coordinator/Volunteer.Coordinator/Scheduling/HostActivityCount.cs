namespace Volunteer.Coordinator.Scheduling;

/// <summary>Hosts active over a stretch of time: how many, of how many accounts (volunteers), with how many cores in all.</summary>
public sealed record HostActivityCount(long Hosts, long Accounts, long Cores);

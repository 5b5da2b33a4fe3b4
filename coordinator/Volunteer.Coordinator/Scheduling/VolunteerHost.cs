namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host as replica placement sees it in one sync: who it is, whose it is, where it syncs from, and (from its grain,
/// for the app of the job it is syncing with) whether it has earned trust and how fast it usually returns results.
/// </summary>
/// <param name="Network">The network of the sync's address (e.g. "203.0.113.0/24"); null when networks are not separated or unknown.</param>
/// <param name="Cores">The cores it attached with.</param>
/// <param name="Trusted">Its record with the job's app earns it units alone, but for spot checks (adaptive replication).</param>
/// <param name="UsualTurnaroundSeconds">Its mean time from issue to report with the job's app; null before its first report.</param>
public sealed record VolunteerHost(
    Guid WorkerId,
    Guid AccountId,
    string? Network,
    int Cores = 1,
    bool Trusted = false,
    double? UsualTurnaroundSeconds = null);

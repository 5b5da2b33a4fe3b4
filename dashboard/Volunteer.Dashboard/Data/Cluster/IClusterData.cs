namespace Volunteer.Dashboard.Data.Cluster;

/// <summary>
/// What the operators' cluster page reads: the silos and their load, this silo's process, and the store's health. An
/// implementation measures at most once per <see cref="RefreshInterval"/> per silo and hands every viewer the same snapshot.
/// </summary>
public interface IClusterData
{
    /// <summary>How often the page reads again, and how long one snapshot is shared.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(3);

    Task<ClusterSnapshot> GetSnapshotAsync(CancellationToken cancellationToken);
}

/// <param name="At">When it was measured.</param>
/// <param name="ThisSilo">The silo that measured it (address:port@generation), the one serving this page.</param>
/// <param name="MembershipVersion">The membership version the silo list is from.</param>
/// <param name="Silos">Every silo the membership lists, dead ones included, in address order.</param>
/// <param name="Grains">Activations per grain type over the silos that answered, most first.</param>
/// <param name="Process">This silo's process, as it measures itself.</param>
public sealed record ClusterSnapshot(
    DateTimeOffset At,
    string ThisSilo,
    long MembershipVersion,
    IReadOnlyList<SiloLoad> Silos,
    IReadOnlyList<GrainTypeLoad> Grains,
    ProcessFigures Process,
    StoreHealth Store);

/// <param name="Status">The membership's status: Joining, Active, ShuttingDown, Stopping, Dead…</param>
/// <param name="Runtime">What the silo reported of itself; null for a silo not active, or one that did not answer in time.</param>
public sealed record SiloLoad(string Address, string Name, string Status, bool IsThisSilo, SiloRuntime? Runtime);

/// <summary>A silo's figures as Orleans reports them (its management grain's runtime statistics).</summary>
/// <param name="CpuPercent">The machine's CPU use, 0 to 100, as Orleans measures it (smoothed): not only the silo's.</param>
/// <param name="Activations">Activations on the silo, Orleans' own system activations included.</param>
/// <param name="MemoryUsedBytes">What the .NET runtime holds for the silo, fragmentation included (smoothed).</param>
/// <param name="AvailableMemoryBytes">Memory still available to the process (smoothed).</param>
/// <param name="MaximumMemoryBytes">The most memory the process may have: the machine's, or its container's limit.</param>
/// <param name="Overloaded">Orleans counts the silo as overloaded (it sheds load when load shedding is on).</param>
public sealed record SiloRuntime(
    int Activations,
    float CpuPercent,
    long MemoryUsedBytes,
    long AvailableMemoryBytes,
    long MaximumMemoryBytes,
    bool Overloaded);

public sealed record GrainTypeLoad(string GrainType, int Activations);

/// <summary>This silo's process as it measures itself.</summary>
/// <param name="CpuPercent">CPU time over wall time since the previous measurement, as a share of all cores (0 to 100).</param>
/// <param name="GcHeapBytes">Bytes the garbage collector counts as allocated now.</param>
/// <param name="ThreadPoolQueue">Work items waiting for a thread-pool thread.</param>
public sealed record ProcessFigures(
    double CpuPercent,
    long WorkingSetBytes,
    long GcHeapBytes,
    long ThreadPoolQueue,
    int ThreadPoolThreads,
    int Cores);

/// <summary>The store as this silo reaches it.</summary>
/// <param name="Kind">"SQLite (embedded)" or "PostgreSQL".</param>
/// <param name="RoundTrip">How long a trivial query took at this measurement; null if the store did not answer.</param>
/// <param name="Error">Why the store did not answer.</param>
public sealed record StoreHealth(string Kind, string? Version, long? SizeBytes, TimeSpan? RoundTrip, string? Error);

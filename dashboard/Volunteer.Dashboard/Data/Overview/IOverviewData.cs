namespace Volunteer.Dashboard.Data.Overview;

/// <summary>
/// The overview's figures. The host computes them once a second on each silo for all its viewers (and only while
/// someone watches); every viewer's page reads the latest, so a viewer costs the silo a read, not a computation.
/// </summary>
public interface IOverviewData
{
    /// <summary>The latest figures; the first call after a quiet spell waits for them to be computed.</summary>
    ValueTask<OverviewSnapshot> GetSnapshotAsync(CancellationToken cancellationToken);
}

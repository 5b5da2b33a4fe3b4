namespace Volunteer.Protocol;

/// <summary>
/// The bounds a coordinator puts on one sync. It tells them to each worker in its attach and sync
/// answers, so a worker never sends what would be refused and no second copy of them exists.
/// </summary>
/// <param name="MaxReportsPerSync">Most reports in one sync.</param>
/// <param name="MaxUnitsPerSync">Most units a worker may ask for in one sync.</param>
/// <param name="MaxInProgress">Most in-progress replicas a worker may list in one sync.</param>
/// <param name="InlinePayloadLimit">Largest result payload carried inline in a report, in bytes.</param>
/// <param name="MaxErrorLength">Longest error message of an error report, in characters.</param>
public sealed record SyncLimits(int MaxReportsPerSync, int MaxUnitsPerSync, int MaxInProgress, int InlinePayloadLimit, int MaxErrorLength)
{
    /// <summary>What a coordinator enforces unless its operator configures otherwise.</summary>
    public static SyncLimits Default { get; } = new(
        MaxReportsPerSync: 512, MaxUnitsPerSync: 64, MaxInProgress: 4096, InlinePayloadLimit: 64 * 1024, MaxErrorLength: 4096);
}

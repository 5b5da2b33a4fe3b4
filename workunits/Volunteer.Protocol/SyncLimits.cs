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
    /// <summary>
    /// The largest body a sync within these limits can need: every report at its largest (a payload in
    /// base64, or an error message whose every character JSON-escapes to six bytes) and every in-progress
    /// entry, with room for the JSON around them.
    /// </summary>
    public long MaxSyncBodyBytes =>
        MaxReportsPerSync * (Math.Max((InlinePayloadLimit + 2L) / 3 * 4, 6L * MaxErrorLength) + ReportOverheadBytes)
        + MaxInProgress * InProgressEntryBytes + EnvelopeBytes;

    /// <summary>A report's fields besides its payload or error: ids, outcome, digest, size, names.</summary>
    private const long ReportOverheadBytes = 512;

    private const long InProgressEntryBytes = 128;

    /// <summary>The signature, the request count and the JSON around the lists.</summary>
    private const long EnvelopeBytes = 4096;

    /// <summary>What a coordinator enforces unless its operator configures otherwise.</summary>
    public static SyncLimits Default { get; } = new(
        MaxReportsPerSync: 512, MaxUnitsPerSync: 64, MaxInProgress: 4096, InlinePayloadLimit: 64 * 1024, MaxErrorLength: 4096);
}

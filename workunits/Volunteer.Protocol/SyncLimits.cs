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
/// <param name="MaxResultBytes">Largest result payload at all; one above the inline limit stays at the edge until pulled.</param>
/// <param name="MaxRelayedPerSync">Most relayed bundles one sync may carry.</param>
public sealed record SyncLimits(
    int MaxReportsPerSync, int MaxUnitsPerSync, int MaxInProgress, int InlinePayloadLimit, int MaxErrorLength,
    long MaxResultBytes = 64L * 1024 * 1024, int MaxRelayedPerSync = 16)
{
    /// <summary>
    /// The largest body a sync within these limits can need: every report at its largest (a payload in
    /// base64, or an error message whose every character JSON-escapes to six bytes) and every in-progress
    /// entry, with room for the JSON around them.
    /// </summary>
    /// <remarks>
    /// Relayed reports count with the worker's own against <see cref="MaxReportsPerSync"/>; a peer advert lists at most
    /// <see cref="MaxInProgress"/> blobs added and as many removed, and at most as many transfers, each naming at most
    /// <see cref="MaxBadHoldersPerTransfer"/> bad holders.
    /// </remarks>
    public long MaxSyncBodyBytes =>
        MaxReportsPerSync * (Math.Max((InlinePayloadLimit + 2L) / 3 * 4, 6L * MaxErrorLength) + ReportOverheadBytes)
        + MaxInProgress * (InProgressEntryBytes + 2 * DigestEntryBytes + TransferEntryBytes)
        + MaxRelayedPerSync * RelayedBundleOverheadBytes + EnvelopeBytes;

    /// <summary>Most holders one transfer report may accuse of serving a bad chunk.</summary>
    public const int MaxBadHoldersPerTransfer = 8;

    private const long DigestEntryBytes = 80;

    private const long TransferEntryBytes = 256 + MaxBadHoldersPerTransfer * 40;

    /// <summary>A relayed bundle's worker id and signature, and the JSON around them.</summary>
    private const long RelayedBundleOverheadBytes = 512;

    /// <summary>A report's fields besides its payload or error: ids, outcome, digest, size, names.</summary>
    private const long ReportOverheadBytes = 512;

    private const long InProgressEntryBytes = 128;

    /// <summary>The signature, the request count and the JSON around the lists.</summary>
    private const long EnvelopeBytes = 4096;

    /// <summary>What a coordinator enforces unless its operator configures otherwise.</summary>
    public static SyncLimits Default { get; } = new(
        MaxReportsPerSync: 512, MaxUnitsPerSync: 64, MaxInProgress: 4096, InlinePayloadLimit: 64 * 1024, MaxErrorLength: 4096);
}

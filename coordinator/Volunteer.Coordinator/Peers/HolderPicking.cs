using Volunteer.Coordinator.Grains;

namespace Volunteer.Coordinator.Peers;

/// <summary>A listed holder of one blob with how often the index handed it out lately.</summary>
public sealed record HolderLoad(BlobHolder Holder, int RecentPicks);

/// <summary>Which holders of a blob a worker that needs it is told of.</summary>
public static class HolderPicking
{
    /// <summary>
    /// At most <paramref name="count"/> holders, never the asker itself: those on the asker's network first (the bytes
    /// stay close), then those with the most spare upload: handed out least lately, then with the highest cap (0 is
    /// unbounded). Ties go by worker id, so a pick is reproducible.
    /// </summary>
    public static IReadOnlyList<BlobHolder> Pick(IEnumerable<HolderLoad> holders, Guid askerId, string? network, int count) =>
        [.. holders
            .Where(h => h.Holder.WorkerId != askerId)
            .OrderBy(h => network is not null && h.Holder.Network == network ? 0 : 1)
            .ThenBy(h => h.RecentPicks)
            .ThenByDescending(h => h.Holder.UploadBytesPerSecond == 0 ? long.MaxValue : h.Holder.UploadBytesPerSecond)
            .ThenBy(h => h.Holder.WorkerId)
            .Take(count)
            .Select(h => h.Holder)];
}

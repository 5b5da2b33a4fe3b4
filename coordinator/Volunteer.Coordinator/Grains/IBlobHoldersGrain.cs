using Orleans.Concurrency;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// The listed holders of one blob (keyed by its digest): hosts whose peer endpoint the coordinator reached and that
/// advertised the blob. Soft state, kept by the hosts' grains, which list and unlist their host as it changes.
/// </summary>
[Alias("Volunteer.IBlobHoldersGrain")]
public interface IBlobHoldersGrain : IGrainWithStringKey
{
    /// <summary>Lists the host as a holder, or refreshes its entry (endpoint, network, upload cap).</summary>
    [Alias("List")]
    Task ListAsync(BlobHolder holder);

    [Alias("Unlist")]
    Task UnlistAsync(Guid workerId);

    /// <summary>
    /// A few holders for a worker about to fetch the blob (<see cref="Peers.HolderPicking"/>); remembered, for accusations.
    /// A listed worker <paramref name="joining"/> is listed in the same turn, after its pick: it serves the chunks it
    /// fetches as they come, and the workers that ask after it may draw from it.
    /// </summary>
    [Alias("Pick")]
    Task<IReadOnlyList<PeerHolder>> PickAsync(Guid askerId, string? network, int count, BlobHolder? joining = null);

    /// <summary>Whether the index lately handed <paramref name="holderId"/> to <paramref name="askerId"/> for this blob.</summary>
    [Alias("WasHanded"), ReadOnly]
    Task<bool> WasHandedAsync(Guid holderId, Guid askerId);
}

namespace Volunteer.Protocol;

/// <summary>
/// What a worker tells the coordinator, as the index of who holds what, in a sync. The endpoint is the port its peer
/// endpoint listens on: the coordinator pairs it with the address the sync came from, and lists it only once it has
/// connected back to it (a volunteer behind NAT is simply never listed). Holdings travel as changes since the last
/// advert the coordinator answered; the whole list when the coordinator asks for it (<see cref="PeerDirections.SendHoldings"/>).
/// </summary>
/// <param name="Port">The peer endpoint's port; null when the worker serves nothing (--no-serve).</param>
/// <param name="Added">Blobs it holds now that it did not hold at its last advert.</param>
/// <param name="Removed">Blobs it dropped since.</param>
/// <param name="Complete">True when <paramref name="Added"/> is everything it holds.</param>
/// <param name="UploadBytesPerSecond">Its upload cap; 0 when unbounded. Holders with spare upload are listed first.</param>
public sealed record PeerAdvert(
    int? Port,
    IReadOnlyList<string>? Added = null,
    IReadOnlyList<string>? Removed = null,
    bool Complete = false,
    long UploadBytesPerSecond = 0);

/// <summary>How one fetch of a blob for a job went: whence its bytes came and which holders served a chunk that failed its digest.</summary>
public sealed record TransferReport(Guid JobId, string Digest, long PeerBytes, long CoordinatorBytes, IReadOnlyList<Guid> BadHolders);

/// <summary>
/// Reports of another worker (the origin), signed by it, carried up by the worker that syncs: the coordinator checks
/// the origin's signature and applies them as the origin's own. Refused if altered or already reported.
/// </summary>
public sealed record RelayedReports(Guid WorkerId, IReadOnlyList<ReplicaReport> Reports, string Signature);

/// <summary>What the coordinator made of one relayed bundle: how many reports it committed, and which it refused (all, or none).</summary>
public sealed record RelayOutcome(Guid WorkerId, int Accepted, IReadOnlyList<ReportRefusal> Refused);

/// <summary>The peer side of a sync's answer.</summary>
/// <param name="SendHoldings">The index does not know what this worker holds (a restart, a new silo): send all of it next time.</param>
/// <param name="Listed">Whether the coordinator has reached the worker's peer endpoint and lists it as a holder.</param>
/// <param name="Uploads">Result blobs the coordinator asks this worker to upload (PUT api/v1/workers/blobs/{digest}), as it cannot pull them.</param>
/// <param name="Release">Result blobs the coordinator has now: the worker may drop its copies.</param>
/// <param name="RelayPeers">Peers that have reached the coordinator lately: where to hand reports when no coordinator can be reached.</param>
/// <param name="Pass">This worker's pass, for the peers it hands reports to.</param>
public sealed record PeerDirections(
    bool SendHoldings,
    bool Listed,
    IReadOnlyList<string> Uploads,
    IReadOnlyList<string> Release,
    IReadOnlyList<PeerHolder> RelayPeers,
    PeerPass? Pass);

/// <summary>Reports a worker hands to a peer to forward, with the pass that tells the peer whose key signed them.</summary>
public sealed record RelayBundle(PeerPass Pass, IReadOnlyList<ReplicaReport> Reports, string Signature);

/// <summary>The peer endpoint every worker runs (paths relative to its base URL), and the headers it reads.</summary>
public static class PeerRoutes
{
    /// <summary>GET: the worker id behind the endpoint; the coordinator's connect-back probe.</summary>
    public const string Hello = "peer/v1/hello";

    /// <summary>The header carrying a <see cref="BlobTicket"/> as base64 of its JSON.</summary>
    public const string TicketHeader = "X-Volunteer-Ticket";

    /// <summary>POST a <see cref="RelayBundle"/>: 202 once it is on the peer's disk, to go up in its next sync.</summary>
    public const string Relay = "peer/v1/relay";

    /// <summary>GET chunk <paramref name="index"/> of a blob the peer holds, with a ticket for it.</summary>
    public static string Chunk(string digest, int index) => $"peer/v1/blobs/{digest}/chunks/{index}";

    /// <summary>GET a whole blob the peer holds, with a ticket for it (the coordinator pulling a result).</summary>
    public static string Blob(string digest) => $"peer/v1/blobs/{digest}";
}

/// <summary>What a peer endpoint answers at <see cref="PeerRoutes.Hello"/>.</summary>
public sealed record PeerHello(Guid WorkerId);

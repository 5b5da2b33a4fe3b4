namespace Volunteer.Coordinator.Peers;

public static class PeerIndexServices
{
    /// <summary>The coordinator's side of the peer index: connect-back probes, relay peers, blob sources for assignments.</summary>
    public static IServiceCollection AddPeerIndex(this IServiceCollection services) => services
        .AddSingleton<PeerProbe>()
        .AddSingleton<RecentPeers>()
        .AddSingleton<BlobSources>();
}

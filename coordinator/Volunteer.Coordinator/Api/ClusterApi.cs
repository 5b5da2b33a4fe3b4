using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>Public, read-only: the coordinator silos as the answering silo sees them (for the dashboard and operators).</summary>
public static class ClusterApi
{
    public static RouteGroupBuilder MapClusterApi(this IEndpointRouteBuilder routes)
    {
        var cluster = routes.MapGroup("/" + Routes.Cluster).WithTags("Cluster");
        cluster.MapGet("/", GetCluster).WithName("GetCluster").WithSummary("This silo and the cluster membership it sees.");
        return cluster;
    }

    private static Ok<ClusterView> GetCluster(IClusterMembershipService membership, ILocalSiloDetails local) =>
        TypedResults.Ok(ClusterView.Of(membership.CurrentSnapshot, local.SiloAddress));
}

/// <param name="Silo">The answering silo (address:port@generation).</param>
/// <param name="Version">The membership version this view is from.</param>
public sealed record ClusterView(string Silo, long Version, IReadOnlyList<SiloView> Silos)
{
    /// <summary>The membership as <paramref name="local"/> sees it in <paramref name="snapshot"/>, silos in address order.</summary>
    public static ClusterView Of(ClusterMembershipSnapshot snapshot, SiloAddress local)
    {
        var silos = snapshot.Members.Values
            .OrderBy(m => m.SiloAddress.ToParsableString(), StringComparer.Ordinal)
            .Select(m => new SiloView(m.SiloAddress.ToParsableString(), m.Name, m.Status.ToString()))
            .ToList();
        return new ClusterView(local.ToParsableString(), snapshot.Version.Value, silos);
    }
}

/// <param name="Status">Orleans silo status: Joining, Active, ShuttingDown, Stopping, Dead…</param>
public sealed record SiloView(string Address, string Name, string Status);

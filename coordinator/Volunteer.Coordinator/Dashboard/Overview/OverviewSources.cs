using Volunteer.Dashboard.Data.Overview;

namespace Volunteer.Coordinator.Dashboard.Overview;

internal static class OverviewSources
{
    /// <summary>The overview's figures, and this silo's share of the cluster's results per second (counted whether or not anyone watches).</summary>
    public static IServiceCollection AddOverviewSources(this IServiceCollection services)
    {
        services.AddSingleton<ClusterResults>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterResults>());
        services.AddSingleton<OverviewSnapshots>();
        services.AddSingleton<IOverviewData>(sp => sp.GetRequiredService<OverviewSnapshots>());
        return services;
    }
}

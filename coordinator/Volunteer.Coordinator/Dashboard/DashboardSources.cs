using Volunteer.Coordinator.Dashboard.Cluster;
using Volunteer.Coordinator.Dashboard.Hosts;
using Volunteer.Coordinator.Dashboard.Jobs;
using Volunteer.Coordinator.Dashboard.Overview;
using Volunteer.Coordinator.Dashboard.Volunteers;
using Volunteer.Dashboard;
using Volunteer.Dashboard.Access;

namespace Volunteer.Coordinator.Dashboard;

/// <summary>The dashboard's pages, and what the coordinator gives them to read: each area registers its own sources.</summary>
internal static class DashboardSources
{
    public static IServiceCollection AddDashboardSources(this IServiceCollection services)
    {
        services.AddDashboard();
        services.AddSingleton<IDashboardKeys, DashboardKeys>();
        services.AddOverviewSources().AddJobsSources().AddVolunteersSources().AddHostsSources().AddClusterSources();
        return services;
    }
}

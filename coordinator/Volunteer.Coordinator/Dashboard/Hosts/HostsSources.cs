using Volunteer.Dashboard.Data.Hosts;

namespace Volunteer.Coordinator.Dashboard.Hosts;

internal static class HostsSources
{
    /// <summary>The Hosts page's data. When each host last synced is recorded by <see cref="Presence.HostPresence"/>, part of the coordinator.</summary>
    public static IServiceCollection AddHostsSources(this IServiceCollection services) =>
        services.AddSingleton<IHostsData, HostsData>();
}

using Volunteer.Dashboard.Data.Jobs;

namespace Volunteer.Coordinator.Dashboard.Jobs;

/// <summary>What the job pages read: <see cref="IJobsData"/>, and the previews of result images.</summary>
internal static class JobsSources
{
    public static IServiceCollection AddJobsSources(this IServiceCollection services)
    {
        services.AddSingleton<IJobsData, JobsData>();
        services.AddSingleton<JobImages>();
        return services;
    }
}

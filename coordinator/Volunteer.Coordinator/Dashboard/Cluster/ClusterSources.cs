using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Storage.Sqlite;
using Volunteer.Dashboard.Data.Cluster;

namespace Volunteer.Coordinator.Dashboard.Cluster;

/// <summary>The operators' cluster page: the membership the API shows, each silo's load, this process, the store.</summary>
internal static class ClusterSources
{
    public static IServiceCollection AddClusterSources(this IServiceCollection services)
    {
        services.AddSingleton<ProcessMeter>();
        services.AddSingleton<IClusterData, ClusterData>();
        return services;
    }
}

/// <summary>
/// Measures once per <see cref="IClusterData.RefreshInterval"/> on this silo, for every viewer: the membership as
/// <c>GET /api/v1/cluster</c> shows it (<see cref="ClusterView"/>), each active silo's runtime statistics and grain
/// counts asked of it alone (a silo that does not answer in <see cref="SiloAnswerTimeout"/> leaves only its figures blank),
/// this process's figures and a round trip to the store.
/// </summary>
internal sealed class ClusterData(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IGrainFactory grains,
    IWorkStore store,
    ProcessMeter process,
    TimeProvider time) : IClusterData
{
    public static readonly TimeSpan SiloAnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The grain types listed, most activations first.</summary>
    public const int MaxGrainTypes = 20;

    private readonly SharedSnapshots<int, ClusterSnapshot> _snapshot = new(time, IClusterData.RefreshInterval, capacity: 1);

    public Task<ClusterSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) =>
        _snapshot.GetAsync(0, _ => MeasureAsync(), cancellationToken);

    private async Task<ClusterSnapshot> MeasureAsync()
    {
        var members = membership.CurrentSnapshot;
        var view = ClusterView.Of(members, local.SiloAddress);
        var management = grains.GetGrain<IManagementGrain>(0);
        var active = members.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
        var storeHealth = ProbeStoreAsync();
        var answers = await Task.WhenAll(active.Select(silo => AskAsync(management, silo)));
        var runtimes = answers.Where(a => a.Runtime is not null).ToDictionary(a => a.Silo.ToParsableString(), a => a.Runtime!);
        var grainTypes = answers.SelectMany(a => a.Grains)
            .GroupBy(g => g.GrainType)
            .Select(g => new GrainTypeLoad(ShortName(g.Key), g.Sum(s => s.ActivationCount)))
            .OrderByDescending(g => g.Activations).ThenBy(g => g.GrainType, StringComparer.Ordinal)
            .Take(MaxGrainTypes)
            .ToList();
        var silos = view.Silos
            .Select(s => new SiloLoad(s.Address, s.Name, s.Status, s.Address == view.Silo, runtimes.GetValueOrDefault(s.Address)))
            .ToList();
        return new ClusterSnapshot(time.GetUtcNow(), view.Silo, view.Version, silos, grainTypes, process.Read(), await storeHealth);
    }

    /// <summary>One silo's statistics, asked of it alone so that one silo slow to answer delays nothing else.</summary>
    private static async Task<(SiloAddress Silo, SiloRuntime? Runtime, SimpleGrainStatistic[] Grains)> AskAsync(
        IManagementGrain management, SiloAddress silo)
    {
        try
        {
            var statistics = management.GetRuntimeStatistics([silo]).WaitAsync(SiloAnswerTimeout);
            var grainCounts = management.GetSimpleGrainStatistics([silo]).WaitAsync(SiloAnswerTimeout);
            // Both awaited together, so a failure of one leaves no task unobserved.
            await Task.WhenAll(statistics, grainCounts);
            var s = (await statistics)[0];
            var environment = s.EnvironmentStatistics;
            return (silo, new SiloRuntime(s.ActivationCount, environment.FilteredCpuUsagePercentage, environment.FilteredMemoryUsageBytes,
                environment.FilteredAvailableMemoryBytes, environment.MaximumAvailableMemoryBytes, s.IsOverloaded), await grainCounts);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return (silo, null, []);
        }
    }

    private async Task<StoreHealth> ProbeStoreAsync()
    {
        var kind = store is SqliteWorkStore ? "SQLite (embedded)" : "PostgreSQL";
        try
        {
            var probe = await store.ProbeAsync().WaitAsync(SiloAnswerTimeout);
            return new StoreHealth(kind, probe.Version, probe.SizeBytes, probe.RoundTrip, null);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Data.Common.DbException)
        {
            return new StoreHealth(kind, null, null, null, ex is TimeoutException ? $"no answer in {SiloAnswerTimeout.TotalSeconds:0} s" : ex.Message);
        }
    }

    /// <summary>A grain type without its namespace and assembly, as operators know it ("JobGrain").</summary>
    private static string ShortName(string grainType)
    {
        var name = grainType.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }
}

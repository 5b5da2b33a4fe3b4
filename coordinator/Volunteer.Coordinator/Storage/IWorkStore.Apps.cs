using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>Scientists' registered app versions: written once, never changed.</summary>
public partial interface IWorkStore
{
    /// <summary>
    /// Records a registered version, durably, at once and outside any group commit; false (nothing written) when its name
    /// and version are already registered, whatever they hold: one statement decides, so of two registrations racing
    /// for one version exactly one is recorded.
    /// </summary>
    Task<bool> AddAppVersionAsync(AppVersionView version, CancellationToken cancellationToken = default);

    Task<AppVersionView?> FindAppVersionAsync(string name, string version, CancellationToken cancellationToken = default);

    /// <summary>The app's versions, the latest (most recently registered; ties by version, descending) first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AppVersionView>> ListAppVersionsAsync(string name, int limit, CancellationToken cancellationToken = default);

    /// <summary>Each registered app's latest version, by name, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AppVersionView>> ListAppsAsync(int limit, CancellationToken cancellationToken = default);
}

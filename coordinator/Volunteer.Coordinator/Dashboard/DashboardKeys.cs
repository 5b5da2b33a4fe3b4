using Volunteer.Coordinator.Authentication;
using Volunteer.Dashboard.Access;

namespace Volunteer.Coordinator.Dashboard;

/// <summary>The dashboard's sign-in checks the same API keys as the job API.</summary>
internal sealed class DashboardKeys(ApiKeys apiKeys) : IDashboardKeys
{
    public Task<bool> IsValidAsync(string key, CancellationToken cancellationToken) => apiKeys.IsValidAsync(key, cancellationToken);
}

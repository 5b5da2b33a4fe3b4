using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Dashboard.Access;
using Volunteer.Dashboard.Components;

namespace Volunteer.Dashboard;

/// <summary>
/// The progress dashboard, served by every silo at <c>/</c> (Blazor Server: pages render on the silo and update the
/// browser over one WebSocket). The host registers the data sources the pages read (<see cref="IDashboardKeys"/> and the
/// pages' own interfaces).
/// </summary>
public static class DashboardSetup
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(ApiKeyCookie.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyCookieHandler>(ApiKeyCookie.Scheme, _ => { });
        services.AddAuthorization();
        return services;
    }

    /// <summary>Maps the pages and their static files; call after the API endpoints.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}

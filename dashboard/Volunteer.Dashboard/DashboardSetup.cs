using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
    private static readonly PathString WorkerApi = "/" + Volunteer.Protocol.Routes.Workers;

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
        // The worker API (volunteers' syncs, the hot path: 1,700 a second at 100,000 volunteers) is authenticated by worker
        // tokens alone and carries no authorization or antiforgery metadata, so its requests skip the dashboard's cookie
        // handler (made per request), and the items each of these middlewares records per request; nor can a volunteer
        // make a sync check a cookie's API key.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments(WorkerApi), dashboard =>
        {
            dashboard.UseAuthentication();
            dashboard.UseAuthorization();
            dashboard.UseAntiforgery();
        });
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}

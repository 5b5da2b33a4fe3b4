using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>Hosts as operators look for them (API key): those flagged for returning more results than their cores could compute.</summary>
public static class HostsApi
{
    public static RouteGroupBuilder MapHostsApi(this IEndpointRouteBuilder routes)
    {
        var hosts = routes.MapGroup("/" + Routes.Hosts).WithTags("Hosts").RequireApiKey();
        hosts.MapGet("/", ListFlaggedAsync).WithName("ListFlaggedHosts")
            .WithSummary("Flagged hosts (flagged=true), most recently flagged first, a page at a time: a full page has a Link header to the next.");
        return hosts;
    }

    private static async Task<Results<Ok<IReadOnlyList<FlaggedHost>>, ProblemHttpResult>> ListFlaggedAsync(
        IWorkStore store, HttpResponse response, string? flagged, int? limit, string? after, CancellationToken cancellationToken)
    {
        if (flagged != "true")
        {
            return Problems.BadRequest("Only flagged hosts are listed: ask with 'flagged=true'.");
        }
        var (pageSize, pageProblem) = Paging.PageSize(limit);
        if (pageProblem is not null)
        {
            return pageProblem;
        }
        HostFlagRecord? previous = null;
        if (after is not null)
        {
            if (ParseCursor(after) is not { } cursor)
            {
                return Problems.BadRequest($"'after' must be a worker id and an app, as 'workerId:app', not {Problems.Quote(after)}.");
            }
            var (workerId, app) = cursor;
            // A host has a flag for each app at most, so one page holds them all.
            previous = (await store.ListHostFlagsAsync(workerId, Paging.MaxPageSize, cancellationToken: cancellationToken))
                .FirstOrDefault(f => f.App == app);
            if (previous is null)
            {
                return Problems.BadRequest($"'after' names no flag: host {workerId} is not flagged for {Problems.Quote(app)}.");
            }
        }
        var (hosts, flags) = await FlaggedHosts.PageAsync(store, pageSize, previous, cancellationToken);
        if (flags.Count > 0)
        {
            Paging.LinkNext(response, Routes.Hosts, pageSize, flags.Count, CursorOf(flags[^1]), ("flagged", "true"));
        }
        return TypedResults.Ok<IReadOnlyList<FlaggedHost>>(hosts);
    }

    /// <summary>Where a page ends: its last flag's host and app (a host has one flag per app).</summary>
    private static string CursorOf(HostFlagRecord flag) => $"{flag.WorkerId}:{flag.App}";

    private static (Guid WorkerId, string App)? ParseCursor(string cursor)
    {
        var colon = cursor.IndexOf(':');
        return colon > 0 && colon < cursor.Length - 1 && Guid.TryParse(cursor.AsSpan(0, colon), out var workerId)
            ? (workerId, cursor[(colon + 1)..])
            : null;
    }
}

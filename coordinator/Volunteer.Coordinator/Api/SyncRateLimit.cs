using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Settings;

namespace Volunteer.Coordinator.Api;

/// <summary>Marks the endpoint whose calls count against a worker's <see cref="VolunteerOptions.SyncsPerWorkerPerSecond"/>.</summary>
public sealed class SyncRateLimited;

/// <summary>
/// A worker's syncs per second on this silo, counted in one window for all workers: the counts of the current second
/// only, replaced when the second turns. ASP.NET's partitioned limiter kept a limiter object per worker and swept them all
/// ten times a second; with 100,000 volunteers syncing once a minute that sweep was the silo's hottest function (perf,
/// infra/bench.sh population mode) and the limiters the garbage collector's busiest survivors. Here memory is the
/// workers seen this second, and nothing runs between syncs. Real time, not the coordinator's clock, which tests set.
/// </summary>
public sealed class SyncRateLimit(IOptions<VolunteerOptions> options)
{
    private readonly int _limit = options.Value.SyncsPerWorkerPerSecond;
    private Window _window = new(-1);

    /// <summary>Counts a sync of <paramref name="workerId"/>; false when it is over the limit for this second.</summary>
    public bool TryAcquire(Guid workerId)
    {
        var second = Stopwatch.GetTimestamp() / Stopwatch.Frequency;
        var window = Volatile.Read(ref _window);
        if (window.Second != second)
        {
            var fresh = new Window(second);
            var seen = Interlocked.CompareExchange(ref _window, fresh, window);
            window = ReferenceEquals(seen, window) ? fresh : seen;
        }
        return window.Counts.AddOrUpdate(workerId, 1, (_, count) => count + 1) <= _limit;
    }

    private sealed class Window(long second)
    {
        public long Second { get; } = second;

        public ConcurrentDictionary<Guid, int> Counts { get; } = new();
    }
}

public static class SyncRateLimiting
{
    public static TBuilder RequireSyncRateLimit<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new SyncRateLimited());

    /// <summary>After the credentials, which prove the worker the count is kept for: no spelling of a token opens a second budget.</summary>
    public static IApplicationBuilder UseSyncRateLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<SyncRateLimited>() is not null
            && http.AttachedWorker() is { } worker
            && !http.RequestServices.GetRequiredService<SyncRateLimit>().TryAcquire(worker.Id))
        {
            // An empty 429, which the status code pages answer as a problem, as for every other limit.
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }
        await next(http);
    });
}

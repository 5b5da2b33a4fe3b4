using System.Net;
using System.Net.Http.Json;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>A test's host on the worker API, whichever way it attached.</summary>
internal interface ISyncingHost
{
    /// <summary>A sync as this host, its reports signed by it unless the request is signed already; the response is the caller's.</summary>
    Task<HttpResponseMessage> PostSyncAsync(SyncRequest request, string? token = null);
}

internal static class SyncingHost
{
    /// <summary>A sync that must succeed.</summary>
    public static async Task<SyncResponse> SyncAsync(this ISyncingHost host, SyncRequest request)
    {
        using var response = await host.PostSyncAsync(request);
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
    }

    public static async Task<IReadOnlyList<Assignment>> LeaseAsync(this ISyncingHost host, int count) =>
        (await host.SyncAsync(new SyncRequest(RequestUnits: count))).Assignments;
}

using System.Net;
using System.Security.Cryptography;
using System.Text;
using Volunteer.Apps.Primes;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// A volunteer host of the API tests (a <see cref="SimulatedHost"/> on the in-process coordinator) whose
/// requests must succeed unless a test sends them raw, and whose units are prime counts.
/// </summary>
internal sealed class SimulatedWorker : ISyncingHost, IDisposable
{
    private readonly HttpClient _client;
    private readonly SimulatedHost _host;

    private SimulatedWorker(HttpClient client)
    {
        _client = client;
        _host = new SimulatedHost(client, client.BaseAddress!);
    }

    public ECDsa Key => _host.Key;

    public Guid Id => _host.Id;

    public string Token => _host.Token;

    public static async Task<SimulatedWorker> AttachAsync(CoordinatorFactory factory, string name, int cores = 4)
    {
        var worker = new SimulatedWorker(factory.CreateClient());
        try
        {
            using var response = await worker._host.PostAttachAsync(name, cores);
            await Api.AssertStatusAsync(response, HttpStatusCode.Created);
            Assert.Equal("/" + Routes.Worker(worker.Id), response.Headers.Location?.OriginalString);
            return worker;
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a sync as this worker (or with <paramref name="token"/>) and returns the raw response.
    /// Its reports are signed as the worker agent signs them, unless the request carries a signature.
    /// </summary>
    public Task<HttpResponseMessage> PostSyncAsync(SyncRequest request, string? token = null) => _host.PostSyncAsync(request, token);

    public Task<HttpResponseMessage> PostSyncAsync(HttpContent content, string? token = null) => _host.PostSyncAsync(content, token);

    /// <summary>Computes the assignment for real and returns the report.</summary>
    public Task<ReplicaReport> ComputeAsync(Assignment assignment)
    {
        Assert.Equal(PrimesApp.AppName, assignment.App);
        return SimulatedHost.ComputeAsync(assignment);
    }

    /// <summary>A success report claiming <paramref name="primeCount"/> (right or wrong).</summary>
    public ReplicaReport Claim(ReplicaRef replica, long primeCount) => Success(replica, Payload(primeCount));

    /// <summary>This worker's signature over reports sent together.</summary>
    public string Sign(IReadOnlyList<ReplicaReport> reports) => _host.Sign(reports);

    /// <summary>A success report of these exact payload bytes.</summary>
    public static ReplicaReport Success(ReplicaRef replica, byte[] payload) => SimulatedHost.Success(replica, payload);

    public static byte[] Payload(long primeCount) => Encoding.UTF8.GetBytes($$"""{"primeCount":{{primeCount}}}""");

    public void Dispose()
    {
        _host.Dispose();
        _client.Dispose();
    }
}

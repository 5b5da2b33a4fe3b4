using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Volunteer.Apps.Primes;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A volunteer host speaking the worker protocol over HTTP: its own ECDSA P-256 key, its token, and
/// real prime counting through the primes app's computer.
/// </summary>
internal sealed class SimulatedWorker : IDisposable
{
    private static readonly PrimesApp Primes = new();

    private readonly HttpClient _client;

    private SimulatedWorker(HttpClient client, ECDsa key, Guid id, string token)
    {
        _client = client;
        Key = key;
        Id = id;
        Token = token;
    }

    public ECDsa Key { get; }

    public Guid Id { get; }

    public string Token { get; }

    public static async Task<SimulatedWorker> AttachAsync(CoordinatorFactory factory, string name)
    {
        var client = factory.CreateClient();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new WorkerAttachRequest(name, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), 4);
        using var response = await client.PostAsJsonAsync(Api.WorkersPath, request, ProtocolJson.Options);
        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var attached = (await response.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options))!;
        Assert.Equal($"/api/v1/workers/{attached.WorkerId}", response.Headers.Location?.OriginalString);
        return new SimulatedWorker(client, key, attached.WorkerId, attached.Token);
    }

    /// <summary>
    /// Sends a sync as this worker (or with <paramref name="token"/>) and returns the raw response.
    /// Its reports are signed as the worker agent signs them, unless the request carries a signature.
    /// </summary>
    public Task<HttpResponseMessage> PostSyncAsync(SyncRequest request, string? token = null) =>
        PostSyncAsync(JsonContent.Create(request.Signature is null && request.Reports is { Count: > 0 } reports
            ? request with { Signature = Sign(reports) }
            : request, options: ProtocolJson.Options), token);

    public Task<HttpResponseMessage> PostSyncAsync(HttpContent content, string? token = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Api.SyncPath) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        return _client.SendAsync(message);
    }

    /// <summary>A sync that must succeed.</summary>
    public async Task<SyncResponse> SyncAsync(SyncRequest request)
    {
        using var response = await PostSyncAsync(request);
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
    }

    public async Task<IReadOnlyList<Assignment>> LeaseAsync(int count) =>
        (await SyncAsync(new SyncRequest(RequestUnits: count))).Assignments;

    /// <summary>Computes the assignment for real and returns the report.</summary>
    public async Task<ReplicaReport> ComputeAsync(Assignment assignment)
    {
        Assert.Equal(PrimesApp.AppName, assignment.App);
        var payload = await Primes.Computer.ComputeAsync(
            new UnitInput(assignment.UnitIndex, assignment.Input.GetRawText()), NullUnitContext.Instance, CancellationToken.None);
        return Success(assignment.Ref, payload);
    }

    /// <summary>A success report claiming <paramref name="primeCount"/> (right or wrong).</summary>
    public ReplicaReport Claim(ReplicaRef replica, long primeCount) => Success(replica, Payload(primeCount));

    /// <summary>This worker's signature over reports sent together.</summary>
    public string Sign(IReadOnlyList<ReplicaReport> reports) => ReportSignature.Sign(Key, Id, reports);

    /// <summary>A success report of these exact payload bytes.</summary>
    public static ReplicaReport Success(ReplicaRef replica, byte[] payload) =>
        new(replica.JobId, replica.UnitIndex, replica.Replica, ReportOutcome.Success,
            ContentDigest.Of(payload), payload.Length, Convert.ToBase64String(payload));

    public static byte[] Payload(long primeCount) => Encoding.UTF8.GetBytes($$"""{"primeCount":{{primeCount}}}""");

    public void Dispose()
    {
        _client.Dispose();
        Key.Dispose();
    }

    private sealed class NullUnitContext : IUnitContext
    {
        public static readonly NullUnitContext Instance = new();

        public ReadOnlyMemory<byte>? Checkpoint => null;

        public void ReportProgress(double fractionDone)
        {
        }

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Testing;

/// <summary>
/// A volunteer host on the worker API, doing what the worker agent does (worker/Volunteer.Worker/Agent):
/// it attaches with an ECDSA P-256 key of its own, syncs with its token, signs the reports of a sync
/// together and computes units with the built-in apps' real computers. What a refused request means is
/// the caller's to say: a test asserts, the load generator counts it.
/// </summary>
public sealed class SimulatedHost(HttpClient http, Uri coordinator) : IDisposable
{
    private readonly Uri _workers = new(coordinator, Routes.Workers);
    private readonly Uri _sync = new(coordinator, Routes.WorkerSync);

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The id the coordinator gave this host when it attached.</summary>
    public Guid Id { get; private set; }

    public string Token { get; private set; } = "";

    /// <summary>The account the coordinator attached this host to.</summary>
    public Guid AccountId { get; private set; }

    /// <summary>
    /// The key of the anonymous account the attach created for this host, with which more hosts join that
    /// account; null when the host attached under an account key of its own.
    /// </summary>
    public string? AccountKey { get; private set; }

    /// <summary>
    /// Asks to attach with this host's public key, under the account of <paramref name="accountKey"/> (or a new
    /// anonymous one without); a successful answer gives the host its id, token and account. The response is the
    /// caller's to check and dispose.
    /// </summary>
    public async Task<HttpResponseMessage> PostAttachAsync(string name, int cores, string? accountKey = null, CancellationToken cancellationToken = default)
    {
        var request = new WorkerAttachRequest(name, Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo()), cores, accountKey);
        var response = await http.PostAsJsonAsync(_workers, request, ProtocolJson.Options, cancellationToken);
        try
        {
            if (response.IsSuccessStatusCode)
            {
                var attached = (await response.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options, cancellationToken))!;
                (Id, Token, AccountId, AccountKey) = (attached.WorkerId, attached.Token, attached.AccountId, attached.AccountKey);
            }
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A sync with this host's token (or <paramref name="token"/>), its reports signed together by this
    /// host unless the request carries a signature already. The response is the caller's to check and dispose.
    /// </summary>
    public Task<HttpResponseMessage> PostSyncAsync(SyncRequest request, string? token = null, CancellationToken cancellationToken = default) =>
        PostSyncAsync(
            JsonContent.Create(request.Signature is null && request.Reports is { Count: > 0 } reports
                ? request with { Signature = Sign(reports) }
                : request, options: ProtocolJson.Options),
            token,
            cancellationToken);

    /// <summary>A sync with exactly this body, e.g. one no agent would send.</summary>
    public async Task<HttpResponseMessage> PostSyncAsync(HttpContent content, string? token = null, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _sync) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        return await http.SendAsync(message, cancellationToken);
    }

    /// <summary>This host's signature over reports sent together.</summary>
    public string Sign(IReadOnlyList<ReplicaReport> reports) => ReportSignature.Sign(Key, Id, reports);

    /// <summary>Computes a leased unit with its built-in app, as the agent would, and returns the success report.</summary>
    public static async Task<ReplicaReport> ComputeAsync(Assignment assignment, CancellationToken cancellationToken = default) =>
        Success(assignment.Ref, await ComputePayloadAsync(assignment.App, assignment.UnitIndex, assignment.Input.GetRawText(), cancellationToken));

    /// <summary>The payload a built-in app computes for one unit, from its index and input (JSON text).</summary>
    public static Task<byte[]> ComputePayloadAsync(string appName, long unitIndex, string input, CancellationToken cancellationToken = default)
    {
        var app = ScienceAppCatalog.BuiltIn.Find(appName)
            ?? throw new InvalidOperationException($"'{appName}' is not a built-in app.");
        return app.Computer.ComputeAsync(new UnitInput(unitIndex, input), NoCheckpoints.Instance, cancellationToken);
    }

    /// <summary>A success report of these exact payload bytes.</summary>
    public static ReplicaReport Success(ReplicaRef replica, byte[] payload) =>
        new(replica.JobId, replica.UnitIndex, replica.Replica, ReportOutcome.Success,
            ContentDigest.Of(payload), payload.Length, Convert.ToBase64String(payload));

    public void Dispose() => Key.Dispose();

    /// <summary>A unit context that keeps nothing: a simulated host never resumes a unit.</summary>
    private sealed class NoCheckpoints : IUnitContext
    {
        public static readonly NoCheckpoints Instance = new();

        public ReadOnlyMemory<byte>? Checkpoint => null;

        public void ReportProgress(double fractionDone)
        {
        }

        public bool TimeToCheckpoint => false;

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken) => Task.CompletedTask;

        public Stream OpenBlob(string digest) => throw new InvalidOperationException($"A simulated host holds no blob ({digest}).");
    }
}

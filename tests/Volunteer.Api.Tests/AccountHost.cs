using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>A volunteer's account as sign-up returned it; only the volunteer knows its key.</summary>
internal sealed record VolunteerAccount(Guid Id, string Name, string Key)
{
    /// <summary>Signs up from <paramref name="address"/>, which must succeed.</summary>
    public static async Task<VolunteerAccount> SignUpAsync(CoordinatorFactory factory, string name, string address)
    {
        using var client = AccountHost.ClientFrom(factory, address);
        using var response = await client.PostAsJsonAsync(AccountHost.AccountsPath, new AccountSignUpRequest(name), ProtocolJson.Options);
        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options))!;
        return new VolunteerAccount(created.AccountId, created.Name, created.AccountKey);
    }
}

/// <summary>
/// A volunteer host on the in-process coordinator, as a cheater drives one over the worker API: attached under an
/// account key (or none, for a fresh anonymous account), every request from one network address (the test header
/// stands in for the connection's peer, so replica placement sees the host's network), and its reports signed with
/// its own P-256 key as the worker agent signs them. What it reports is the test's choice.
/// </summary>
internal sealed class AccountHost : ISyncingHost, IDisposable
{
    public const string AccountsPath = "/" + Routes.Accounts;

    private readonly HttpClient _client;

    private AccountHost(HttpClient client, string name, string address)
    {
        _client = client;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    /// <summary>The address every request of this host comes from.</summary>
    public string Address { get; }

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public Guid Id { get; private set; }

    public string Token { get; private set; } = "";

    public Guid AccountId { get; private set; }

    /// <summary>The key of the anonymous account this host's attach created; null when it attached under a key.</summary>
    public string? AnonymousAccountKey { get; private set; }

    /// <summary>A client whose every request comes from <paramref name="address"/>, as the coordinator sees it.</summary>
    public static HttpClient ClientFrom(CoordinatorFactory factory, string address)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(PeerAddressFromTestHeader.Header, address);
        return client;
    }

    /// <summary>The public key as the worker agent sends it at attach: SubjectPublicKeyInfo in base64.</summary>
    public static string PublicKeyOf(ECDsa key) => Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());

    /// <summary>Attaches from <paramref name="address"/> under <paramref name="accountKey"/> (none: an anonymous account); must succeed.</summary>
    public static async Task<AccountHost> AttachAsync(CoordinatorFactory factory, string name, string address, string? accountKey, int cores = 4)
    {
        var host = new AccountHost(ClientFrom(factory, address), name, address);
        try
        {
            using var response = await host._client.PostAsJsonAsync(
                Api.WorkersPath, new WorkerAttachRequest(name, PublicKeyOf(host.Key), cores, accountKey), ProtocolJson.Options);
            await Api.AssertStatusAsync(response, HttpStatusCode.Created);
            var attached = (await response.Content.ReadFromJsonAsync<WorkerAttachResponse>(ProtocolJson.Options))!;
            (host.Id, host.Token, host.AccountId, host.AnonymousAccountKey) =
                (attached.WorkerId, attached.Token, attached.AccountId, attached.AccountKey);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A sync with this host's token (or <paramref name="token"/>), its reports signed by this host unless the
    /// request carries a signature. The response is the caller's to check and dispose.
    /// </summary>
    public Task<HttpResponseMessage> PostSyncAsync(SyncRequest request, string? token = null) =>
        PostSyncAsync(JsonContent.Create(Signed(request), options: ProtocolJson.Options), token);

    /// <summary>A sync with exactly this body, e.g. one captured on the way and sent again.</summary>
    public async Task<HttpResponseMessage> PostSyncAsync(HttpContent content, string? token = null)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Api.SyncPath) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        return await _client.SendAsync(message);
    }

    /// <summary>The request as this host sends it: its reports signed together, unless it carries a signature already.</summary>
    public SyncRequest Signed(SyncRequest request) =>
        request.Signature is null && request.Reports is { Count: > 0 } reports ? request with { Signature = Sign(reports) } : request;

    public string Sign(IReadOnlyList<ReplicaReport> reports) => ReportSignature.Sign(Key, Id, reports);

    /// <summary>The host as operators see it (GET /api/v1/workers/{id}, with the API key of <paramref name="jobs"/>).</summary>
    public async Task<HostStatus> StatusAsync(HttpClient jobs)
    {
        using var response = await jobs.GetAsync("/" + Routes.Worker(Id));
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<HostStatus>(ProtocolJson.Options))!;
    }

    public void Dispose()
    {
        Key.Dispose();
        _client.Dispose();
    }
}

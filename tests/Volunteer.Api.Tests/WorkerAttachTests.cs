using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>Attaching a worker: a good request is recorded once; a bad one is refused and records nothing.</summary>
public sealed class WorkerAttachTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>A public key that is wrong in the named way.</summary>
    private static string BadPublicKey(string kind)
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = p256.ExportSubjectPublicKeyInfo();
        switch (kind)
        {
            case "empty":
                return "";
            case "not base64":
                return "not base64 at all!";
            case "random bytes":
                return Convert.ToBase64String(Enumerable.Range(0, 91).Select(i => (byte)(i * 37)).ToArray());
            case "truncated P-256":
                return Convert.ToBase64String(spki.AsSpan(0, spki.Length - 10));
            case "P-384":
                using (var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384))
                {
                    return Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo());
                }
            case "RSA":
                using (var rsa = RSA.Create(2048))
                {
                    return Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
                }
            case "private key":
                return Convert.ToBase64String(p256.ExportPkcs8PrivateKey());
            case "secp256k1":
            case "brainpoolP256r1":
                // 256-bit curves too, but not P-256.
                using (var other = ECDsa.Create(kind == "secp256k1" ? ECCurve.CreateFromFriendlyName("secp256k1") : ECCurve.NamedCurves.brainpoolP256r1))
                {
                    return Convert.ToBase64String(other.ExportSubjectPublicKeyInfo());
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    [Fact]
    public async Task Attach_returns_201_with_an_id_and_a_token_that_syncs()
    {
        var before = await factory.CountWorkersAsync();

        using var worker = await SimulatedWorker.AttachAsync(factory, "lab-pc-7");

        Assert.NotEqual(Guid.Empty, worker.Id);
        Assert.StartsWith(worker.Id.ToString("N") + ".", worker.Token, StringComparison.Ordinal);
        Assert.Equal(before + 1, await factory.CountWorkersAsync());
        var sync = await worker.SyncAsync(new SyncRequest());
        Assert.Equal(0, sync.Accepted);
    }

    [Fact]
    public async Task A_worker_that_syncs_too_often_is_told_to_slow_down_with_429_and_others_are_not()
    {
        using var hasty = await SimulatedWorker.AttachAsync(factory, "hasty");
        using var calm = await SimulatedWorker.AttachAsync(factory, "calm");

        // 150 syncs at once: even split across two one-second windows, more than 2 x 50 of them.
        var responses = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => hasty.PostSyncAsync(new SyncRequest())));
        try
        {
            Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(limited);
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, r.StatusCode.ToString()));
            Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        // The limit is per worker: another worker syncs as usual.
        Assert.Equal(0, (await calm.SyncAsync(new SyncRequest())).Accepted);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("not base64")]
    [InlineData("random bytes")]
    [InlineData("truncated P-256")]
    [InlineData("P-384")]
    [InlineData("RSA")]
    [InlineData("private key")]
    [InlineData("secp256k1")]
    [InlineData("brainpoolP256r1")]
    public async Task Attach_with_a_bad_public_key_is_400_and_records_nothing(string kind)
    {
        var publicKey = BadPublicKey(kind);
        var before = await factory.CountWorkersAsync();

        using var response = await _client.PostAsJsonAsync(Api.WorkersPath, new WorkerAttachRequest("host", publicKey, 2), ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'publicKey' must be an ECDSA P-256 public key");
        Assert.Equal(before, await factory.CountWorkersAsync());
    }

    [Theory]
    [InlineData("", 2, "'name'")]
    [InlineData("   ", 2, "'name'")]
    [InlineData("a name far too long for any volunteer host a name far too long for any volunteer host a name far too long", 2, "'name'")]
    [InlineData("host", 0, "'cores'")]
    [InlineData("host", -3, "'cores'")]
    [InlineData("host", 4097, "'cores'")]
    public async Task Attach_with_a_bad_name_or_core_count_is_400_and_records_nothing(string name, int cores, string detail)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var before = await factory.CountWorkersAsync();

        using var response = await _client.PostAsJsonAsync(Api.WorkersPath,
            new WorkerAttachRequest(name, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), cores), ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        Assert.Equal(before, await factory.CountWorkersAsync());
    }

    [Theory]
    [InlineData("""{"name":"host","cores":2}""")]
    [InlineData("""{"name":null,"publicKey":"AAAA","cores":2}""")]
    [InlineData("""{"name":"host","publicKey":"AAAA","cores":"two"}""")]
    [InlineData("""{"name":"host","publicKey":"AAAA","cores":2,"admin":true}""")]
    [InlineData("""{"name":"host",""")]
    [InlineData("""{"name":"host","publicKey":"AAAA","cores":"4"}""")]
    [InlineData("""{"name":"host","name":"other","publicKey":"AAAA","cores":2}""")]
    public async Task Attach_with_malformed_json_is_400_and_records_nothing(string body)
    {
        var before = await factory.CountWorkersAsync();

        using var response = await _client.PostAsync(Api.WorkersPath, Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "JSON");
        Assert.Equal(before, await factory.CountWorkersAsync());
    }

    [Fact]
    public async Task Attach_without_a_body_is_400_and_records_nothing()
    {
        var before = await factory.CountWorkersAsync();

        using var response = await _client.PostAsync(Api.WorkersPath, Api.Json(""));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "body");
        Assert.Equal(before, await factory.CountWorkersAsync());
    }
}

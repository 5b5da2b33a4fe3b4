using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// Volunteer accounts: sign-up, hosts attaching under an account key (or a fresh anonymous account), one attach per
/// public key, and the host as operators see it. A bad request is refused and creates nothing.
/// </summary>
public sealed class AccountsApiTests(CoordinatorFactory factory) : IClassFixture<CoordinatorFactory>, IDisposable
{
    private static int _nextAddress;

    // Sign-ups and attaches are limited per address; each test comes from an address of its own.
    private readonly HttpClient _client = AccountHost.ClientFrom(factory, NextAddress());
    private readonly HttpClient _jobs = factory.CreateJobsClient();
    private readonly List<IDisposable> _owned = [];

    private static string NextAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return $"198.18.{n / 250}.{n % 250 + 1}";
    }

    [Fact]
    public async Task Sign_up_is_201_with_the_account_its_location_and_its_key()
    {
        var before = await factory.CountAccountsAsync();

        using var response = await _client.PostAsync(AccountHost.AccountsPath, Api.Json("""{"name":"Ada Lovelace","email":"ada@example.org"}"""));

        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var account = (await response.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options))!;
        Assert.NotEqual(Guid.Empty, account.AccountId);
        Assert.Equal("Ada Lovelace", account.Name);
        Assert.StartsWith(account.AccountId.ToString("N") + ".", account.AccountKey, StringComparison.Ordinal);
        Assert.Equal("/" + Routes.Account(account.AccountId), response.Headers.Location?.OriginalString);
        Assert.Equal(before + 1, await factory.CountAccountsAsync());
        var stored = (await factory.Store.FindAccountAsync(account.AccountId))!;
        Assert.Equal(("Ada Lovelace", "ada@example.org", AccountOrigin.SignedUp), (stored.Name, stored.Email, stored.Origin));
    }

    [Fact]
    public async Task Sign_up_without_an_email_is_201()
    {
        using var response = await _client.PostAsync(AccountHost.AccountsPath, Api.Json("""{"name":"Grace"}"""));

        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var account = (await response.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options))!;
        Assert.Null((await factory.Store.FindAccountAsync(account.AccountId))!.Email);
    }

    public static TheoryData<string, string> BadSignUps => new()
    {
        { """{"name":""}""", "'name'" },
        { """{"name":"   "}""", "'name'" },
        { $$"""{"name":"{{new string('n', 101)}}"}""", "'name'" },
        { """{"name":"Ada","email":"ada.example.org"}""", "'email'" },
        { """{"name":"Ada","email":"ada@@example.org"}""", "'email'" },
        { """{"name":"Ada","email":"@example.org"}""", "'email'" },
        { """{"name":"Ada","email":"ada@"}""", "'email'" },
        { """{"name":"Ada","email":"ada lovelace@example.org"}""", "'email'" },
        { """{"name":"Ada","email":""}""", "'email'" },
        { $$"""{"name":"Ada","email":"ada@{{new string('e', 250)}}.org"}""", "'email'" },
    };

    [Theory]
    [MemberData(nameof(BadSignUps))]
    public async Task Sign_up_with_a_bad_name_or_email_is_400_and_creates_nothing(string body, string detail)
    {
        var before = await factory.CountAccountsAsync();

        using var response = await _client.PostAsync(AccountHost.AccountsPath, Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        Assert.Equal(before, await factory.CountAccountsAsync());
    }

    [Theory]
    [InlineData("""{"name":"Ada","name":"Eve"}""")]
    [InlineData("""{"name":"Ada","email":"ada@example.org","email":"eve@example.org"}""")]
    [InlineData("""{"name":42}""")]
    [InlineData("""{"name":"Ada","email":7}""")]
    [InlineData("""{"name":null}""")]
    [InlineData("""{"email":"ada@example.org"}""")]
    [InlineData("""{"name":"Ada","credit":1000000}""")]
    [InlineData("""{"name":"Ada",""")]
    [InlineData("""["Ada"]""")]
    public async Task Sign_up_with_malformed_json_is_400_and_creates_nothing(string body)
    {
        var before = await factory.CountAccountsAsync();

        using var response = await _client.PostAsync(AccountHost.AccountsPath, Api.Json(body));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "JSON");
        Assert.Equal(before, await factory.CountAccountsAsync());
    }

    [Fact]
    public async Task Sign_ups_from_one_address_beyond_the_attach_limit_are_429()
    {
        // 130 at once from one address: the first 120 of the minute are served, like attaches.
        var responses = await Task.WhenAll(Enumerable.Range(0, 130).Select(i =>
            _client.PostAsync(AccountHost.AccountsPath, Api.Json($$"""{"name":"sybil {{i}}"}"""))));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(120, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task The_account_key_is_stored_only_as_its_sha256()
    {
        var account = await VolunteerAccount.SignUpAsync(factory, "Hedy", NextAddress());
        var secret = account.Key[(account.Key.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(account.Key)));

        Assert.Equal(hash, (await factory.Store.FindAccountAsync(account.Id))!.KeyHash);
        var database = factory.ReadDatabaseFiles();
        Assert.True(database.AsSpan().IndexOf(Encoding.UTF8.GetBytes(hash)) >= 0, "The key's SHA-256 is not in the database files.");
        Assert.True(database.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, "The account key's secret is in the database files.");
    }

    [Fact]
    public async Task Hosts_attached_with_the_account_key_belong_to_the_account()
    {
        var account = await VolunteerAccount.SignUpAsync(factory, "Katherine", NextAddress());
        var accounts = await factory.CountAccountsAsync();

        var desktop = Own(await AccountHost.AttachAsync(factory, "desktop", NextAddress(), account.Key));
        var laptop = Own(await AccountHost.AttachAsync(factory, "laptop", NextAddress(), account.Key));

        Assert.Equal(account.Id, desktop.AccountId);
        Assert.Equal(account.Id, laptop.AccountId);
        Assert.NotEqual(desktop.Id, laptop.Id);
        // Only an attach that creates an account shows a key.
        Assert.Null(desktop.AnonymousAccountKey);
        Assert.Null(laptop.AnonymousAccountKey);
        Assert.Equal(accounts, await factory.CountAccountsAsync());
        Assert.Equal(account.Id, (await laptop.StatusAsync(_jobs)).AccountId);
    }

    [Theory]
    [InlineData("unknown account")]
    [InlineData("wrong secret")]
    [InlineData("secret only")]
    [InlineData("id only")]
    [InlineData("id in another format")]
    [InlineData("padded with spaces")]
    [InlineData("garbled")]
    [InlineData("empty")]
    public async Task Attach_with_an_account_key_nobody_holds_is_401_and_records_nothing(string kind)
    {
        var account = await VolunteerAccount.SignUpAsync(factory, "Mary", NextAddress());
        var secret = account.Key[(account.Key.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var accountKey = kind switch
        {
            "unknown account" => $"{Guid.NewGuid():N}.{secret}",
            "wrong secret" => $"{account.Id:N}.{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            "secret only" => secret,
            "id only" => $"{account.Id:N}.",
            "id in another format" => $"{account.Id:D}.{secret}",
            "padded with spaces" => $"  {account.Key}  ",
            "garbled" => "not an account key; DROP TABLE accounts; --",
            "empty" => "",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (workers, accounts) = (await factory.CountWorkersAsync(), await factory.CountAccountsAsync());

        using var response = await _client.PostAsJsonAsync(Api.WorkersPath,
            new WorkerAttachRequest("host", AccountHost.PublicKeyOf(key), 4, accountKey), ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "account key");
        Assert.Equal((workers, accounts), (await factory.CountWorkersAsync(), await factory.CountAccountsAsync()));
    }

    [Theory]
    [InlineData("""{"name":"host","publicKey":"PUBLIC_KEY","cores":4,"accountKey":12345}""")]
    [InlineData("""{"name":"host","publicKey":"PUBLIC_KEY","cores":4,"accountKey":"a","accountKey":"b"}""")]
    [InlineData("""{"name":"host","publicKey":"PUBLIC_KEY","cores":4,"accountKey":["a"]}""")]
    public async Task Attach_with_a_malformed_account_key_field_is_400_and_records_nothing(string body)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (workers, accounts) = (await factory.CountWorkersAsync(), await factory.CountAccountsAsync());

        using var response = await _client.PostAsync(Api.WorkersPath, Api.Json(body.Replace("PUBLIC_KEY", AccountHost.PublicKeyOf(key), StringComparison.Ordinal)));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "JSON");
        Assert.Equal((workers, accounts), (await factory.CountWorkersAsync(), await factory.CountAccountsAsync()));
    }

    [Fact]
    public async Task Attach_without_an_account_key_creates_an_anonymous_account_whose_key_attaches_more_hosts()
    {
        var accounts = await factory.CountAccountsAsync();

        var first = Own(await AccountHost.AttachAsync(factory, "first", NextAddress(), accountKey: null));

        Assert.NotEqual(Guid.Empty, first.AccountId);
        Assert.StartsWith(first.AccountId.ToString("N") + ".", first.AnonymousAccountKey, StringComparison.Ordinal);
        Assert.Equal(accounts + 1, await factory.CountAccountsAsync());
        var stored = (await factory.Store.FindAccountAsync(first.AccountId))!;
        Assert.Equal((AccountOrigin.Anonymous, null), (stored.Origin, stored.Email));

        // The key shown once attaches the volunteer's next host to the same account, and is not shown again.
        var second = Own(await AccountHost.AttachAsync(factory, "second", NextAddress(), first.AnonymousAccountKey));
        Assert.Equal(first.AccountId, second.AccountId);
        Assert.Null(second.AnonymousAccountKey);
        Assert.Equal(accounts + 1, await factory.CountAccountsAsync());

        // Another host without a key is another volunteer.
        var stranger = Own(await AccountHost.AttachAsync(factory, "stranger", NextAddress(), accountKey: null));
        Assert.NotEqual(first.AccountId, stranger.AccountId);
        Assert.Equal(accounts + 2, await factory.CountAccountsAsync());
    }

    [Theory]
    [InlineData("as sent before", false)]
    [InlineData("as sent before", true)]
    [InlineData("with spaces in the base64", false)]
    [InlineData("with line breaks in the base64", true)]
    public async Task A_public_key_attaches_once_however_it_is_spelt_and_under_whatever_account(string spelling, bool underAnAccount)
    {
        var attached = Own(await AccountHost.AttachAsync(factory, "original", NextAddress(), accountKey: null));
        var publicKey = AccountHost.PublicKeyOf(attached.Key);
        var again = spelling switch
        {
            "as sent before" => publicKey,
            "with spaces in the base64" => string.Join(' ', publicKey.Chunk(8).Select(c => new string(c))),
            "with line breaks in the base64" => string.Join("\r\n", publicKey.Chunk(64).Select(c => new string(c))),
            _ => throw new ArgumentOutOfRangeException(nameof(spelling)),
        };
        var accountKey = underAnAccount ? (await VolunteerAccount.SignUpAsync(factory, "copycat", NextAddress())).Key : null;
        var (workers, accounts) = (await factory.CountWorkersAsync(), await factory.CountAccountsAsync());

        using var response = await _client.PostAsJsonAsync(Api.WorkersPath, new WorkerAttachRequest("copy", again, 4, accountKey), ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, "already attached");
        // Not even the anonymous account the attach would have come with is kept.
        Assert.Equal((workers, accounts), (await factory.CountWorkersAsync(), await factory.CountAccountsAsync()));
    }

    [Theory]
    [InlineData(1, 10_000, 2)]
    [InlineData(3, 30_000, 6)]
    [InlineData(100, 1_000_000, 128)]
    public async Task Host_status_shows_its_account_cores_daily_quota_and_in_progress_cap(int cores, int dailyQuota, int maxInProgress)
    {
        var account = await VolunteerAccount.SignUpAsync(factory, "Dorothy", NextAddress());
        var host = Own(await AccountHost.AttachAsync(factory, "cruncher", NextAddress(), account.Key, cores));

        var status = await host.StatusAsync(_jobs);

        // The defaults: 10,000 replicas a day per core; 2 in progress per core, at most 128. No result judged yet.
        Assert.Equal(new HostStatus(host.Id, account.Id, "cruncher", cores, status.AttachedAt, dailyQuota, 0, 0, maxInProgress, status.Reliability), status);
        Assert.Empty(status.Reliability);
        Assert.Equal((await factory.Store.FindWorkerAsync(host.Id))!.CreatedAt, status.AttachedAt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-api-key")]
    public async Task Host_status_without_the_api_key_is_401(string? apiKey)
    {
        var host = Own(await AccountHost.AttachAsync(factory, "private", NextAddress(), accountKey: null));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/" + Routes.Worker(host.Id));
        if (apiKey is not null)
        {
            request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        }

        using var response = await _client.SendAsync(request);

        await Api.AssertStatusAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("not a guid")]
    public async Task Host_status_of_a_host_never_attached_is_404(string kind)
    {
        var id = kind == "unknown" ? Guid.NewGuid().ToString() : "not-a-guid";

        using var response = await _jobs.GetAsync($"{Api.WorkersPath}/{id}");

        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "no worker");
    }

    public void Dispose()
    {
        _owned.ForEach(o => o.Dispose());
        _client.Dispose();
        _jobs.Dispose();
    }

    private AccountHost Own(AccountHost host)
    {
        _owned.Add(host);
        return host;
    }
}

/// <summary>A closed project: sign-up needs the API key; attaching hosts is as before.</summary>
public sealed class ApiKeySignUpTests(ApiKeySignUpCoordinatorFactory factory) : IClassFixture<ApiKeySignUpCoordinatorFactory>, IDisposable
{
    private readonly HttpClient _client = factory.CreateClient();

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-api-key")]
    public async Task Sign_up_without_the_api_key_is_401_and_creates_nothing(string? apiKey)
    {
        var before = await factory.CountAccountsAsync();

        using var response = await _client.SendAsync(SignUp("""{"name":"Ada"}""", apiKey));

        await Api.AssertStatusAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(before, await factory.CountAccountsAsync());
    }

    [Fact]
    public async Task Sign_up_of_malformed_json_without_the_api_key_is_401_not_400()
    {
        using var response = await _client.SendAsync(SignUp("""{"name":"Ada","name":""", apiKey: null));

        await Api.AssertStatusAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Sign_up_with_the_api_key_is_201()
    {
        var before = await factory.CountAccountsAsync();

        using var response = await _client.SendAsync(SignUp("""{"name":"Ada"}""", CoordinatorFactory.ApiKey));

        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        var account = (await response.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options))!;
        Assert.Equal("Ada", account.Name);
        Assert.Equal(before + 1, await factory.CountAccountsAsync());
    }

    [Fact]
    public async Task In_a_closed_project_a_host_without_an_account_key_is_401_and_no_anonymous_account_is_made()
    {
        var (workers, accounts) = (await factory.CountWorkersAsync(), await factory.CountAccountsAsync());
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        using var response = await _client.PostAsJsonAsync(Api.WorkersPath,
            new WorkerAttachRequest("stray", AccountHost.PublicKeyOf(key), 2), ProtocolJson.Options);

        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "account key");
        Assert.Equal((workers, accounts), (await factory.CountWorkersAsync(), await factory.CountAccountsAsync()));
    }

    public void Dispose() => _client.Dispose();

    private static HttpRequestMessage SignUp(string body, string? apiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, AccountHost.AccountsPath) { Content = Api.Json(body) };
        if (apiKey is not null)
        {
            request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        }
        return request;
    }
}

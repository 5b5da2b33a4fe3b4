using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests.Apps;

/// <summary>A coordinator for the app registry tests: modules of at most <see cref="MaxModuleBytes"/>, far below the default.</summary>
public class AppsCoordinatorFactory : CoordinatorFactory
{
    /// <summary>Room for the example modules (primes is about 4 KiB), not for much more.</summary>
    public const long MaxModuleBytes = 32 * 1024;

    public AppsCoordinatorFactory()
        : base(new Dictionary<string, string> { ["Volunteer:MaxModuleBytes"] = MaxModuleBytes.ToString(CultureInfo.InvariantCulture) })
    {
    }

    protected AppsCoordinatorFactory(IReadOnlyDictionary<string, string> extraSettings)
        : base(new Dictionary<string, string>(extraSettings)
        {
            ["Volunteer:MaxModuleBytes"] = MaxModuleBytes.ToString(CultureInfo.InvariantCulture),
        })
    {
    }
}

/// <summary>What the app registry tests send and read.</summary>
internal static class AppsApiCalls
{
    public static string AppsPath => "/" + Routes.Apps;

    /// <summary>Uploads a whole blob (again, if it is already complete); returns its digest.</summary>
    public static async Task<string> UploadAsync(HttpClient scientist, byte[] content)
    {
        var digest = ContentDigest.Of(content);
        using var response = await scientist.PutAsync(Blob.Path(digest), new ByteArrayContent(content));
        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        return digest;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient scientist, string json) =>
        scientist.PostAsync(AppsPath, Api.Json(json));

    public static Task<HttpResponseMessage> PostAsync(HttpClient scientist, AppRegistration registration) =>
        scientist.PostAsJsonAsync(AppsPath, registration, ProtocolJson.Options);

    /// <summary>Registers a version; asserts 201 with the version's location and returns what the coordinator registered.</summary>
    public static async Task<AppVersionView> RegisterAsync(HttpClient scientist, AppRegistration registration)
    {
        using var response = await PostAsync(scientist, registration);
        await Api.AssertStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal("/" + Routes.AppVersion(registration.Name, registration.Version), response.Headers.Location?.OriginalString);
        return (await response.Content.ReadFromJsonAsync<AppVersionView>(ProtocolJson.Options))!;
    }

    /// <summary>Posts a registration that must be refused with <paramref name="status"/> and a detail holding each fragment.</summary>
    public static async Task<JsonElement> RefuseAsync(HttpClient scientist, string json, HttpStatusCode status, params string[] detailFragments)
    {
        using var response = await PostAsync(scientist, json);
        return await Api.AssertProblemAsync(response, status, detailFragments);
    }

    public static async Task<T> GetAsync<T>(HttpClient scientist, string path)
    {
        using var response = await scientist.GetAsync(path);
        await Api.AssertStatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<T>(ProtocolJson.Options))!;
    }

    /// <summary>A registration's JSON with the module (and anything else) given.</summary>
    public static string Registration(string name, string version, string module, string extra = "") =>
        $$"""{"name":"{{name}}","version":"{{version}}","module":"{{module}}"{{extra}}}""";
}

using System.Net;
using System.Security.Cryptography;
using Volunteer.Coordinator.Api;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using static Volunteer.Api.Tests.Apps.AppsApiCalls;

namespace Volunteer.Api.Tests.Apps;

/// <summary>
/// The app registry's API with the real sandbox: the example modules register, signed with the coordinator's key; every
/// kind of bad registration is refused with a problem naming what is wrong, and leaves nothing stored.
/// </summary>
public sealed class AppRegistrationTests(AppsCoordinatorFactory factory) : IClassFixture<AppsCoordinatorFactory>, IDisposable
{
    private readonly HttpClient _scientist = factory.CreateJobsClient();

    [Fact]
    public async Task The_example_modules_register_signed_with_the_coordinators_key_and_read_back()
    {
        var primes = await UploadAsync(_scientist, WasmModules.Example("primes"));
        var integral = await UploadAsync(_scientist, WasmModules.Example("integral"));
        var sum = await UploadAsync(_scientist, WasmModules.Example("sum"));

        var primesVersion = await RegisterAsync(_scientist, new AppRegistration("primes-wasm", "1.0.0", primes));
        var integralVersion = await RegisterAsync(_scientist, new AppRegistration("integral", "0.1-beta_2", integral,
            new AppComparator(ComparatorKind.Tolerance, 1e-12, 1e-9), new AppCredit(PerMillionFuel: 2.5),
            new AppLimits(16 * 65536, 5_000_000_000), sum));

        Assert.Equal(new AppVersionView("primes-wasm", "1.0.0", primes, WasmModules.Example("primes").Length,
            new AppComparator(ComparatorKind.Bitwise), new AppCredit(PerUnit: 1), new AppLimits(64L * 1024 * 1024, 100_000_000_000), null,
            primesVersion.Signature, primesVersion.RegisteredAt), primesVersion);
        Assert.Equal(new AppVersionView("integral", "0.1-beta_2", integral, WasmModules.Example("integral").Length,
            new AppComparator(ComparatorKind.Tolerance, 1e-12, 1e-9), new AppCredit(PerMillionFuel: 2.5), new AppLimits(16 * 65536, 5_000_000_000),
            sum, integralVersion.Signature, integralVersion.RegisteredAt), integralVersion);

        // The signature verifies with the key the coordinator publishes, over exactly what was registered.
        var key = await GetAsync<CoordinatorPublicKey>(_scientist, "/" + Routes.CoordinatorKey);
        using var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(key.PublicKey), out _);
        Assert.True(CoordinatorSignature.Verify(publicKey, await ModuleOf(primesVersion)));
        Assert.True(CoordinatorSignature.Verify(publicKey, await ModuleOf(integralVersion)));
        Assert.False(CoordinatorSignature.Verify(publicKey, await ModuleOf(primesVersion) with { Limits = new AppLimits(64L * 1024 * 1024, 100_000_000_001) }));
        Assert.False(CoordinatorSignature.Verify(publicKey, await ModuleOf(primesVersion) with { Version = "1.0.1" }));

        Assert.Equal(primesVersion, await GetAsync<AppVersionView>(_scientist, "/" + Routes.AppVersion("primes-wasm", "1.0.0")));
        Assert.Equal([integralVersion], await GetAsync<List<AppVersionView>>(_scientist, "/" + Routes.App("integral")));
        var listed = await GetAsync<List<AppVersionView>>(_scientist, AppsPath);
        Assert.Contains(primesVersion, listed);
        Assert.Contains(integralVersion, listed);
    }

    [Fact]
    public async Task A_registered_version_never_changes_a_second_registration_is_a_conflict()
    {
        var primes = await UploadAsync(_scientist, WasmModules.Example("primes"));
        var echo = await UploadAsync(_scientist, WasmModules.Test("echo"));
        var registered = await RegisterAsync(_scientist, new AppRegistration("twice", "1", primes));

        await RefuseAsync(_scientist, Registration("twice", "1", primes), HttpStatusCode.Conflict,
            "twice@1 is already registered", "never changes");
        await RefuseAsync(_scientist, Registration("twice", "1", echo, ""","credit":{"perUnit":5}"""), HttpStatusCode.Conflict,
            "twice@1 is already registered");

        Assert.Equal([registered], await GetAsync<List<AppVersionView>>(_scientist, "/" + Routes.App("twice")));
    }

    [Fact]
    public async Task Modules_that_import_wasi_files_or_sockets_or_lack_the_abi_are_refused_and_nothing_is_stored()
    {
        var cases = new (string Module, ModuleKindUnderTest Kind, string[] Fragments)[]
        {
            ("wasi-fs", ModuleKindUnderTest.Compute, ["wasi_snapshot_preview1.path_open", "does not provide", "cannot reach files, sockets"]),
            ("wasi-socket", ModuleKindUnderTest.Compute, ["wasi_snapshot_preview1.sock_accept", "does not provide"]),
            ("no-compute", ModuleKindUnderTest.Compute, ["does not export the function volunteer_compute"]),
            ("wrong-signature", ModuleKindUnderTest.Compute, ["the ABI's is"]),
            // A compute module is no reducer: it lacks volunteer_reduce.
            ("echo", ModuleKindUnderTest.Reducer, ["The reducer", "does not export the function volunteer_reduce"]),
        };
        var echo = await UploadAsync(_scientist, WasmModules.Test("echo"));
        foreach (var (module, kind, fragments) in cases)
        {
            var digest = await UploadAsync(_scientist, WasmModules.Test(module));
            var json = kind == ModuleKindUnderTest.Compute
                ? Registration("refused-" + module, "1", digest)
                : Registration("refused-" + module, "1", echo, $$""","reducer":"{{digest}}" """);
            await RefuseAsync(_scientist, json, HttpStatusCode.BadRequest, ["cannot be registered", .. fragments]);
        }
        // Bytes that are no module at all.
        var garbage = await UploadAsync(_scientist, "not a module"u8.ToArray());
        await RefuseAsync(_scientist, Registration("refused-garbage", "1", garbage), HttpStatusCode.BadRequest, "does not compile");

        await AssertNotStoredAsync([.. cases.Select(c => "refused-" + c.Module), "refused-garbage"]);
    }

    [Fact]
    public async Task A_module_above_the_size_limit_is_too_large()
    {
        // A valid module padded with a custom section past the limit: refused for its size before anything else.
        var padded = WasmModules.Test("echo").Concat(CustomSection((int)AppsCoordinatorFactory.MaxModuleBytes)).ToArray();
        var digest = await UploadAsync(_scientist, padded);

        await RefuseAsync(_scientist, Registration("too-big", "1", digest), HttpStatusCode.RequestEntityTooLarge,
            $"{padded.Length} bytes", $"at most {AppsCoordinatorFactory.MaxModuleBytes} bytes", "Volunteer:MaxModuleBytes");
        await RefuseAsync(_scientist, Registration("too-big", "1", await UploadAsync(_scientist, WasmModules.Example("primes")), $$""","reducer":"{{digest}}" """),
            HttpStatusCode.RequestEntityTooLarge, "The reducer");

        await AssertNotStoredAsync(["too-big"]);
    }

    [Fact]
    public async Task A_module_that_is_not_a_complete_blob_is_refused()
    {
        // A module no other test uploads.
        var content = WasmModules.Test("loop");
        var manifest = BlobManifest.Of(content);
        // Begun but never sent: not complete.
        await Blob.BeginAsync(_scientist, manifest, HttpStatusCode.Created);
        var neverUploaded = ContentDigest.Of("never uploaded"u8.ToArray());

        await RefuseAsync(_scientist, Registration("incomplete", "1", manifest.Digest), HttpStatusCode.BadRequest,
            manifest.Digest, "not an uploaded blob (or its upload is not complete)");
        await RefuseAsync(_scientist, Registration("incomplete", "1", neverUploaded), HttpStatusCode.BadRequest,
            neverUploaded, "not an uploaded blob");
        await RefuseAsync(_scientist, Registration("incomplete", "1", await UploadAsync(_scientist, WasmModules.Example("primes")), $$""","reducer":"{{neverUploaded}}" """),
            HttpStatusCode.BadRequest, "The reducer", "not an uploaded blob");
        await RefuseAsync(_scientist, Registration("incomplete", "1", "sha256:ABC"), HttpStatusCode.BadRequest,
            "'module' must be the digest of an uploaded blob", "'sha256:ABC'");
        await RefuseAsync(_scientist, """{"name":"incomplete","version":"1"}""", HttpStatusCode.BadRequest);

        await AssertNotStoredAsync(["incomplete"]);
    }

    [Theory]
    [InlineData("", "1", "'name' must be 1 to 64 letters, digits, '-' or '_'")]
    [InlineData("has space", "1", "'name' must be", "'has space'")]
    [InlineData("at@sign", "1", "'name' must be")]
    [InlineData("dotted.name", "1", "'name' must be")]
    [InlineData("newline\n", "1", "'name' must be")]
    [InlineData("ünïcode", "1", "'name' must be")]
    [InlineData("n", "", "'version' must be 1 to 32 letters, digits, '.', '-' or '_'")]
    [InlineData("n", "1/2", "'version' must be", "'1/2'")]
    [InlineData("n", "1@2", "'version' must be")]
    [InlineData("primes", "1", "'primes' is the name of a built-in app")]
    [InlineData("Mandelbrot", "1", "'Mandelbrot' is the name of a built-in app")]
    public async Task Bad_names_and_versions_and_built_in_names_are_refused(string name, string version, params string[] fragments)
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("primes"));
        var json = $$"""{"name":{{System.Text.Json.JsonSerializer.Serialize(name)}},"version":{{System.Text.Json.JsonSerializer.Serialize(version)}},"module":"{{module}}"}""";

        await RefuseAsync(_scientist, json, HttpStatusCode.BadRequest, fragments);

        await AssertNotStoredAsync([name]);
    }

    [Fact]
    public async Task Names_and_versions_too_long_or_missing_are_refused()
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("primes"));

        await RefuseAsync(_scientist, Registration(new string('n', 65), "1", module), HttpStatusCode.BadRequest, "'name' must be", "(65 characters)");
        await RefuseAsync(_scientist, Registration("n", new string('1', 33), module), HttpStatusCode.BadRequest, "'version' must be");
        await RefuseAsync(_scientist, """{"version":"1","module":"sha256:00"}""", HttpStatusCode.BadRequest, "missing required properties", "'name'");
        await RefuseAsync(_scientist, $$"""{"name":"n","module":"{{module}}"}""", HttpStatusCode.BadRequest, "missing required properties", "'version'");
        await RefuseAsync(_scientist, """{"name":null,"version":"1","module":"sha256:00"}""", HttpStatusCode.BadRequest, "'Name'", "doesn't allow null values");

        await AssertNotStoredAsync([new string('n', 65), "n"]);
    }

    [Theory]
    [InlineData(""","limits":{"memoryBytes":100000,"fuelPerUnit":1000}""", "'limits.memoryBytes' must be a multiple of 65536", "it is 100000")]
    [InlineData(""","limits":{"memoryBytes":0,"fuelPerUnit":1000}""", "'limits.memoryBytes'", "it is 0")]
    [InlineData(""","limits":{"memoryBytes":1073807360,"fuelPerUnit":1000}""", "'limits.memoryBytes'", "to 1073741824")]
    [InlineData(""","limits":{"memoryBytes":65536,"fuelPerUnit":0}""", "'limits.fuelPerUnit' must be from 1 to 10000000000000", "it is 0")]
    [InlineData(""","limits":{"memoryBytes":65536,"fuelPerUnit":10000000000001}""", "'limits.fuelPerUnit'")]
    [InlineData(""","comparator":{"kind":"Tolerance","absolute":-1e-9}""", "must be finite and not negative")]
    [InlineData(""","comparator":{"kind":"Tolerance","relative":-0.5}""", "must be finite and not negative")]
    [InlineData(""","comparator":{"kind":"Bitwise","absolute":1e-9}""", "A Bitwise comparator", "takes no tolerance")]
    [InlineData(""","comparator":{"kind":"Fuzzy"}""")]
    [InlineData(""","credit":{"perUnit":1,"perMillionFuel":1}""", "exactly one of 'perUnit'")]
    [InlineData(""","credit":{}""", "exactly one of 'perUnit'")]
    [InlineData(""","credit":{"perUnit":0}""", "'credit.perUnit' must be above 0")]
    [InlineData(""","credit":{"perMillionFuel":-2}""", "'credit.perMillionFuel' must be above 0")]
    [InlineData(""","credit":{"perUnit":1e300}""", "'credit.perUnit' must be above 0 and at most 1000000")]
    public async Task Limits_comparators_and_credit_out_of_bounds_are_refused(string extra, params string[] fragments)
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("primes"));

        await RefuseAsync(_scientist, Registration("bounds", "1", module, extra), HttpStatusCode.BadRequest, fragments);

        await AssertNotStoredAsync(["bounds"]);
    }

    [Fact]
    public async Task Reads_of_unknown_apps_and_versions_are_not_found_and_bad_names_bad_requests()
    {
        var module = await UploadAsync(_scientist, WasmModules.Example("primes"));
        await RegisterAsync(_scientist, new AppRegistration("readable", "1", module));

        using (var response = await _scientist.GetAsync("/" + Routes.AppVersion("readable", "2")))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "App 'readable' has no version '2'.");
        }
        using (var response = await _scientist.GetAsync("/" + Routes.App("unheard-of")))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "No app 'unheard-of' is registered.");
        }
        using (var response = await _scientist.GetAsync("/" + Routes.App("primes")))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.NotFound, "'primes' is a built-in app");
        }
        using (var response = await _scientist.GetAsync("/" + Routes.App("bad.name")))
        {
            await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'name' must be");
        }
        using var anonymous = factory.CreateClient();
        using (var response = await anonymous.GetAsync(AppsPath))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using (var response = await anonymous.PostAsync(AppsPath, Api.Json(Registration("sneaky", "1", module))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        await AssertNotStoredAsync(["sneaky"]);
    }

    public void Dispose() => _scientist.Dispose();

    private async Task AssertNotStoredAsync(IReadOnlyList<string> names)
    {
        var apps = await factory.Store.ListAppsAsync(10_000);
        foreach (var name in names)
        {
            Assert.DoesNotContain(apps, a => a.Name == name);
            Assert.Empty(await factory.Store.ListAppVersionsAsync(name, 10));
        }
    }

    /// <summary>The version as a worker receives it, its module blob's manifest included.</summary>
    private async Task<AppModule> ModuleOf(AppVersionView version)
    {
        var manifest = await GetAsync<BlobManifest>(_scientist, Blob.Path(version.Module) + "/manifest");
        var ticket = new BlobTicket(version.Module, Guid.Empty, Guid.Empty, DateTimeOffset.UnixEpoch, "");
        return new AppModule(version.Name, version.Version, version.Limits, version.Signature, new BlobSource(manifest, ticket, []));
    }

    /// <summary>A WebAssembly custom section (id 0) of about <paramref name="size"/> bytes, which any module may carry.</summary>
    private static byte[] CustomSection(int size)
    {
        var name = "padding"u8.ToArray();
        var payload = new List<byte> { (byte)name.Length };
        payload.AddRange(name);
        payload.AddRange(new byte[size]);
        var section = new List<byte> { 0 };
        var length = payload.Count;
        do
        {
            var b = (byte)(length & 0x7f);
            length >>= 7;
            section.Add(length == 0 ? b : (byte)(b | 0x80));
        }
        while (length != 0);
        section.AddRange(payload);
        return [.. section];
    }

    private enum ModuleKindUnderTest
    {
        Compute,
        Reducer,
    }
}

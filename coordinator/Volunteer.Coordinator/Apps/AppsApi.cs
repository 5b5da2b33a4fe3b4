using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Apps;

/// <summary>
/// The app registry: scientists register versions of their WebAssembly apps (the module uploaded beforehand as a blob),
/// list them and read them. A version is checked whole before anything is stored (names, limits, comparator, credit,
/// the module's blob and size, and the sandbox's verdict on the module), signed with the coordinator's key, and never
/// changes once registered.
/// </summary>
public static class AppsApi
{
    /// <summary>A registration names its module by digest: small.</summary>
    public const int MaxRegistrationBytes = 16 * 1024;

    /// <summary>The most apps, or versions of one app, a list returns.</summary>
    public const int MaxListed = 1000;

    public static RouteGroupBuilder MapAppsApi(this IEndpointRouteBuilder routes)
    {
        var apps = routes.MapGroup("/" + Routes.Apps).WithTags("Apps").RequireApiKey();
        apps.MapPost("/", RegisterAsync).WithName("RegisterAppVersion").WithMetadata(new BodyLimit(MaxRegistrationBytes))
            .WithSummary("Register a version of a WebAssembly app whose module is an uploaded blob; versions never change.");
        apps.MapGet("/", ListAppsAsync).WithName("ListApps").WithSummary("Each registered app's latest version, by name.");
        apps.MapGet("/{name}", ListVersionsAsync).WithName("ListAppVersions")
            .WithSummary("A registered app's versions, the latest (registered last) first.");
        apps.MapGet("/{name}/versions/{version}", GetVersionAsync).WithName("GetAppVersion").WithSummary("One registered app version.");
        return apps;
    }

    private static async Task<Results<Created<AppVersionView>, ProblemHttpResult>> RegisterAsync(
        AppRegistration registration, AppDirectory apps, IWorkStore store, IBlobStore blobs, WasmSandbox sandbox, CoordinatorKey key,
        IOptions<VolunteerOptions> options, TimeProvider time, ILogger<AppDirectory> logger, CancellationToken cancellationToken)
    {
        var (checkedRegistration, problem) = AppRegistrationRules.Check(registration, apps);
        if (checkedRegistration is null)
        {
            return Problems.BadRequest(problem!);
        }
        var (name, version) = (checkedRegistration.Name, checkedRegistration.Version);
        if (await store.FindAppVersionAsync(name, version, cancellationToken) is not null)
        {
            return AlreadyRegistered(name, version);
        }
        var now = time.GetUtcNow();
        var maxModuleBytes = options.Value.MaxModuleBytes;
        var (moduleSize, moduleProblem) = await CheckModuleAsync(
            checkedRegistration.Module, "module", ModuleKind.Compute, blobs, sandbox, maxModuleBytes, now, cancellationToken);
        if (moduleProblem is not null)
        {
            return moduleProblem;
        }
        if (checkedRegistration.Reducer is { } reducer
            && (await CheckModuleAsync(reducer, "reducer", ModuleKind.Reducer, blobs, sandbox, maxModuleBytes, now, cancellationToken)).Problem is { } reducerProblem)
        {
            return reducerProblem;
        }
        var limits = checkedRegistration.Limits!;
        var registered = new AppVersionView(name, version, checkedRegistration.Module, moduleSize, checkedRegistration.Comparator!,
            checkedRegistration.Credit!, limits, checkedRegistration.Reducer,
            CoordinatorSignature.Module(key.Signer, name, version, checkedRegistration.Module, limits),
            await RegistrationTimeAsync(store, name, now, cancellationToken));
        if (!await store.AddAppVersionAsync(registered, cancellationToken))
        {
            return AlreadyRegistered(name, version);
        }
        AppsLog.VersionRegistered(logger, registered.Reference, registered.Module, moduleSize);
        return TypedResults.Created("/" + Routes.AppVersion(name, version), registered);
    }

    private static async Task<Ok<IReadOnlyList<AppVersionView>>> ListAppsAsync(IWorkStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAppsAsync(MaxListed, cancellationToken));

    private static async Task<Results<Ok<IReadOnlyList<AppVersionView>>, ProblemHttpResult>> ListVersionsAsync(
        string name, AppDirectory apps, IWorkStore store, CancellationToken cancellationToken)
    {
        if (AppRegistrationRules.CheckName(name) is { } problem)
        {
            return Problems.BadRequest(problem);
        }
        var versions = await store.ListAppVersionsAsync(name, MaxListed, cancellationToken);
        return versions.Count > 0 ? TypedResults.Ok(versions) : NoSuchApp(name, apps);
    }

    private static async Task<Results<Ok<AppVersionView>, ProblemHttpResult>> GetVersionAsync(
        string name, string version, AppDirectory apps, IWorkStore store, CancellationToken cancellationToken)
    {
        if ((AppRegistrationRules.CheckName(name) ?? AppRegistrationRules.CheckVersion(version)) is { } problem)
        {
            return Problems.BadRequest(problem);
        }
        return await store.FindAppVersionAsync(name, version, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : apps.IsBuiltIn(name) ? NoSuchApp(name, apps) : Problems.NotFound($"App '{name}' has no version '{version}'.");
    }

    /// <summary>
    /// The module blob's size, or why it cannot be registered: not a complete blob, too large, or refused by the sandbox
    /// (it does not compile, lacks the ABI's exports, or imports anything beyond the ABI, WASI included). A usable blob is
    /// touched, so blob collection leaves it until the version that names it is recorded.
    /// </summary>
    private static async Task<(long Size, ProblemHttpResult? Problem)> CheckModuleAsync(
        string digest, string field, ModuleKind kind, IBlobStore blobs, WasmSandbox sandbox, long maxModuleBytes, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (await blobs.FindAsync(digest, cancellationToken) is not { } manifest)
        {
            return (0, Problems.BadRequest(
                $"The {field} {digest} is not an uploaded blob (or its upload is not complete): upload it to /{Routes.Blobs} first."));
        }
        if (manifest.Size > maxModuleBytes)
        {
            return (0, Problems.TooLarge($"The {field} is {manifest.Size} bytes; a module may be at most {maxModuleBytes} bytes (Volunteer:MaxModuleBytes)."));
        }
        byte[] module;
        try
        {
            module = await blobs.ReadWholeAsync(digest, cancellationToken);
        }
        catch (BlobMissingException)
        {
            return (0, Problems.BadRequest($"The {field} {digest} is no longer in the blob store: upload it again."));
        }
        if (sandbox.Problem(module, kind) is { } refused)
        {
            return (0, Problems.BadRequest($"The {field} {digest} cannot be registered: {refused}"));
        }
        if (!await blobs.TouchAsync(digest, now, cancellationToken))
        {
            return (0, Problems.BadRequest($"The {field} {digest} is no longer in the blob store: upload it again."));
        }
        return (manifest.Size, null);
    }

    /// <summary>
    /// Now, in whole microseconds (as both stores keep a time), and after the app's latest version: the latest is the one
    /// registered last, even when two registrations come within one tick of the clock.
    /// </summary>
    private static async Task<DateTimeOffset> RegistrationTimeAsync(IWorkStore store, string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var microseconds = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        var latest = await store.ListAppVersionsAsync(name, 1, cancellationToken);
        return latest.Count > 0 && latest[0].RegisteredAt >= microseconds ? latest[0].RegisteredAt.AddTicks(10) : microseconds;
    }

    private static ProblemHttpResult AlreadyRegistered(string name, string version) =>
        Problems.Conflict($"{AppReference.Of(name, version)} is already registered, and a registered version never changes: register a new version.");

    private static ProblemHttpResult NoSuchApp(string name, AppDirectory apps) =>
        apps.IsBuiltIn(name)
            ? Problems.NotFound($"'{name}' is a built-in app: it has no registered versions.")
            : Problems.NotFound($"No app '{name}' is registered.");
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Volunteer.Apps;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Apps;

/// <summary>
/// Every app a job may name: the built-in apps (<see cref="ScienceAppCatalog"/>) and the scientists' registered
/// WebAssembly app versions, each as a <see cref="WasmScienceApp"/> built once per version and kept (a version never
/// changes). A job records its app as a built-in's name or as name@version, never a bare registered name.
/// </summary>
public sealed class AppDirectory(ScienceAppCatalog builtIn, IWorkStore store, IBlobStore blobs, WasmSandbox sandbox, IOptions<VolunteerOptions> options)
{
    /// <summary>Versions kept on this silo; a few are in use at a time, and one not kept is built again from the store.</summary>
    public const int MaxCachedVersions = 256;

    /// <summary>The most registered apps an unknown app's problem names.</summary>
    private const int MaxNamedInProblems = 20;

    private readonly ConcurrentDictionary<string, WasmScienceApp> _versions = new(StringComparer.Ordinal);

    /// <summary>The built-in apps' names.</summary>
    public IEnumerable<string> BuiltInNames => builtIn.Names;

    /// <summary>Whether <paramref name="name"/> is a built-in app's, in any case: no registered app may be mistaken for one.</summary>
    public bool IsBuiltIn(string name) => builtIn.Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A built-in app by name, for what only built-in apps have (a result file, say): a registered app's result is the
    /// list of its units' results, or its reducer's output, never a file.
    /// </summary>
    public IScienceApp? FindBuiltIn(string name) => builtIn.Find(name);

    /// <summary>The app a job recorded: a built-in's name or a registered name@version; null when there is none.</summary>
    public async Task<IScienceApp?> FindAsync(string app, CancellationToken cancellationToken = default)
    {
        if (builtIn.Find(app) is { } found)
        {
            return found;
        }
        if (_versions.TryGetValue(app, out var cached))
        {
            return cached;
        }
        var (name, version) = AppReference.Parse(app);
        if (version is null || await store.FindAppVersionAsync(name, version, cancellationToken) is not { } registered)
        {
            return null;
        }
        // A registered version's reducer blob is kept for good (the blob collector never takes it).
        ReadOnlyMemory<byte>? reducer = registered.Reducer is { } digest ? await blobs.ReadWholeAsync(digest, cancellationToken) : null;
        var wasm = new WasmScienceApp(registered, sandbox, reducer, new AppLimits(options.Value.ReducerMemoryBytes, options.Value.ReducerFuelPerFold));
        if (_versions.Count >= MaxCachedVersions)
        {
            _versions.Clear();
        }
        return _versions.GetOrAdd(app, wasm);
    }

    /// <summary>
    /// The app a submission names: a built-in's name, a registered name@version, or a registered name alone, which is
    /// its latest version (the one registered last) at this moment. Null when there is no such app or version.
    /// </summary>
    public async Task<IScienceApp?> ResolveAsync(string app, CancellationToken cancellationToken = default)
    {
        if (builtIn.Find(app) is { } found)
        {
            return found;
        }
        var (name, version) = AppReference.Parse(app);
        if (version is not null)
        {
            return await FindAsync(app, cancellationToken);
        }
        var latest = await store.ListAppVersionsAsync(name, 1, cancellationToken);
        return latest.Count == 0 ? null : await FindAsync(latest[0].Reference, cancellationToken);
    }

    /// <summary>What a problem about an unknown app lists: the built-in apps, then registered apps with their latest versions.</summary>
    public async Task<string> DescribeKnownAsync(CancellationToken cancellationToken = default)
    {
        var registered = await store.ListAppsAsync(MaxNamedInProblems + 1, cancellationToken);
        var names = builtIn.Names.Concat(registered.Take(MaxNamedInProblems).Select(v => $"{v.Name} (latest {v.Reference})"));
        return string.Join(", ", names) + (registered.Count > MaxNamedInProblems ? ", …" : "");
    }
}

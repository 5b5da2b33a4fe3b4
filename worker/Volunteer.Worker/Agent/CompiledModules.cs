using Volunteer.Apps.Wasm;
using Volunteer.Sdk;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The WebAssembly modules the agent process has compiled, shared by all its projects: a module is compiled once per
/// digest, however many units (of however many projects) run it, and its bytes are read from the cache only then.
/// The <see cref="MaxModules"/> most recently used are kept; an app version not run for long is compiled again if it
/// comes back.
/// </summary>
public sealed class CompiledModules(WasmSandbox sandbox, ILogger<CompiledModules> logger)
{
    /// <summary>Compiled modules kept at once (a project runs one or a few app versions at a time).</summary>
    public const int MaxModules = 16;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (WasmModule Module, long LastUsed)> _modules = new(StringComparer.Ordinal);
    private long _uses;
    private int _compilations;

    /// <summary>The sandbox the modules run in.</summary>
    public WasmSandbox Sandbox => sandbox;

    /// <summary>How many modules this process has compiled.</summary>
    public int Compilations => Volatile.Read(ref _compilations);

    /// <summary>
    /// The compiled module of <paramref name="digest"/>; compiled now from what <paramref name="read"/> gives when this
    /// process has not compiled it yet. Throws InvalidDataException when those bytes are not the digest's (the copy on
    /// disk was altered since it was fetched) or the sandbox refuses them: nothing of them is kept, nothing runs.
    /// </summary>
    public WasmModule Get(string digest, Func<byte[]> read)
    {
        // One compilation at a time: it is rare (once per app version), and a second unit of the same module waits
        // for the first one's instead of compiling it again.
        lock (_gate)
        {
            if (_modules.TryGetValue(digest, out var kept))
            {
                _modules[digest] = (kept.Module, ++_uses);
                return kept.Module;
            }
            var bytes = read();
            if (ContentDigest.Of(bytes) != digest)
            {
                throw new InvalidDataException($"The module's bytes on this host do not match its digest {digest}.");
            }
            var compiled = sandbox.Load(digest, bytes, ModuleKind.Compute);
            if (_modules.Count >= MaxModules)
            {
                _modules.Remove(_modules.MinBy(m => m.Value.LastUsed).Key);
            }
            _modules.Add(digest, (compiled, ++_uses));
            Interlocked.Increment(ref _compilations);
            WasmLog.Compiled(logger, digest, bytes.Length);
            return compiled;
        }
    }
}

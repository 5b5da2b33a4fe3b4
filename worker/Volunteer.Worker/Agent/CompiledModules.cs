using Volunteer.Apps.Wasm;
using Volunteer.Sdk;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The WebAssembly modules the agent process has compiled, shared by all its projects: a module is compiled once per
/// digest, however many units (of however many projects) run it, and its bytes are read from the cache only then.
/// </summary>
public sealed class CompiledModules(WasmSandbox sandbox, ILogger<CompiledModules> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WasmModule> _modules = new(StringComparer.Ordinal);
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
            if (_modules.TryGetValue(digest, out var compiled))
            {
                return compiled;
            }
            var bytes = read();
            if (ContentDigest.Of(bytes) != digest)
            {
                throw new InvalidDataException($"The module's bytes on this host do not match its digest {digest}.");
            }
            compiled = sandbox.Load(digest, bytes, ModuleKind.Compute);
            _modules.Add(digest, compiled);
            Interlocked.Increment(ref _compilations);
            WasmLog.Compiled(logger, digest, bytes.Length);
            return compiled;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Volunteer.Apps;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

// Fuel-metered primes.wasm against the built-in primes app on the same range, split into the same units, one after
// the other on one thread (alternating unit by unit), on this machine: prints both times and their ratio. Arguments: from to unitSize.
var from = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 0;
var to = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000_000;
var unitSize = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 100_000_000;

var primes = ScienceAppCatalog.BuiltIn.Find("primes")!;
var parameters = System.Text.Json.JsonSerializer.SerializeToElement(new { from, to, unitSize });
var units = primes.Splitter.Split(parameters, 0).ToList();
var limits = new AppLimits(64 * 1024 * 1024, 10_000_000_000_000);
var context = new QuietContext();

using var sandbox = new WasmSandbox();
var bytes = WasmModules.Example("primes");
var compiling = Stopwatch.StartNew();
var module = sandbox.Load(ContentDigest.Of(bytes), bytes, ModuleKind.Compute);
compiling.Stop();

// Unit by unit, alternating which side goes first, so that a change in the machine's load falls on both alike.
var native = new Stopwatch();
var wasm = new Stopwatch();
var nativeResults = new List<string>();
var wasmResults = new List<string>();
var fuel = 0L;
foreach (var unit in units)
{
    if (unit.Index % 2 == 0)
    {
        await RunNative(unit);
        RunWasm(unit);
    }
    else
    {
        RunWasm(unit);
        await RunNative(unit);
    }
}

if (!nativeResults.SequenceEqual(wasmResults))
{
    Console.Error.WriteLine("The WASM results differ from the built-in app's.");
    return 1;
}
var total = nativeResults.Sum(result => long.Parse(result["{\"primeCount\":".Length..^1], CultureInfo.InvariantCulture));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"primes in [{from}, {to}) in {units.Count} units of {unitSize}: {total} (both agree, unit by unit)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"native (built-in primes):   {native.Elapsed.TotalSeconds:F2} s"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wasm (primes.wasm, fueled): {wasm.Elapsed.TotalSeconds:F2} s  ({fuel:N0} fuel; module compiled once beforehand in {compiling.Elapsed.TotalMilliseconds:F0} ms)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio wasm / native:        {wasm.Elapsed.TotalSeconds / native.Elapsed.TotalSeconds:F2}"));
return 0;

async Task RunNative(UnitInput unit)
{
    native.Start();
    var result = await primes.Computer.ComputeAsync(unit, context, CancellationToken.None);
    native.Stop();
    nativeResults.Add(Encoding.UTF8.GetString(result));
}

void RunWasm(UnitInput unit)
{
    wasm.Start();
    var outcome = sandbox.Compute(module, WasmInput.Bytes(unit.Json), limits, context, [], CancellationToken.None);
    wasm.Stop();
    wasmResults.Add(Encoding.UTF8.GetString(outcome.Result));
    fuel += outcome.FuelUsed;
}

/// <summary>A unit context that lets the units run: no pause, no checkpoint, no blobs.</summary>
internal sealed class QuietContext : IUnitContext
{
    public ReadOnlyMemory<byte>? Checkpoint => null;

    public bool TimeToCheckpoint => false;

    public void ReportProgress(double fractionDone)
    {
    }

    public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken) => Task.CompletedTask;

    public Stream OpenBlob(string digest) => throw new InvalidOperationException("The benchmark reads no blobs.");
}

using System.Globalization;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// A WebAssembly app's job: <c>{"units": [v0, v1, …]}</c> (each value one unit's input) or
/// <c>{"ranges": {"from": a, "to": b, "unitSize": n}}</c> (units <c>{"from":x,"to":y}</c> covering [a, b), half-open,
/// unitSize numbers each, the last maybe fewer), with an optional <c>"blobs": ["sha256:…", …]</c>, the shared read-only
/// inputs every unit may read (by position).
/// </summary>
internal sealed class WasmJobParameters
{
    /// <summary>A job without a reducer module has the ordered list of its unit results as its result, so it stays a list one can read.</summary>
    public const long MaxUnitsWithoutReducer = 10_000;

    /// <summary>With a reducer module the result stays small, so only the coordinator's bookkeeping bounds the count (as for built-in primes).</summary>
    public const long MaxUnitsWithReducer = 1_000_000_000;

    public const int MaxBlobs = 64;

    private static readonly string[] FieldNames = ["units", "ranges", "blobs"];
    private static readonly string[] RangeFieldNames = ["from", "to", "unitSize"];

    private readonly JsonElement _units;
    private readonly long _from;
    private readonly long _unitSize;
    private readonly long _to;

    private WasmJobParameters(JsonElement units, long from, long to, long unitSize, long unitCount, IReadOnlyList<string> blobs)
    {
        _units = units;
        _from = from;
        _to = to;
        _unitSize = unitSize;
        UnitCount = unitCount;
        Blobs = blobs;
    }

    public long UnitCount { get; }

    public IReadOnlyList<string> Blobs { get; }

    /// <summary>Reads and checks a job's parameters; throws <see cref="InvalidJobParametersException"/> naming what is wrong.</summary>
    public static WasmJobParameters Parse(JsonElement parameters, bool hasReducer)
    {
        var fields = new JsonElement[FieldNames.Length];
        if (JsonFields.TryRead(parameters, FieldNames, 0, fields) is { } problem)
        {
            throw new InvalidJobParametersException($"Invalid parameters of a WebAssembly app: {problem}.");
        }
        var (units, ranges, blobs) = (fields[0], fields[1], fields[2]);
        var hasUnits = units.ValueKind != JsonValueKind.Undefined;
        var hasRanges = ranges.ValueKind != JsonValueKind.Undefined;
        if (hasUnits == hasRanges)
        {
            throw new InvalidJobParametersException(
                "The parameters of a WebAssembly app give its units either as a list, \"units\": [v0, v1, …], or as integer ranges, \"ranges\": {\"from\": a, \"to\": b, \"unitSize\": n}: exactly one of the two.");
        }

        var maxUnits = hasReducer ? MaxUnitsWithReducer : MaxUnitsWithoutReducer;
        var blobList = ReadBlobs(blobs);
        return hasUnits ? FromList(units, maxUnits, hasReducer, blobList) : FromRanges(ranges, maxUnits, hasReducer, blobList);
    }

    /// <summary>The units from <paramref name="firstUnitIndex"/> on, one at a time.</summary>
    public IEnumerable<UnitInput> Units(long firstUnitIndex)
    {
        if (_units.ValueKind == JsonValueKind.Array)
        {
            var index = 0L;
            foreach (var unit in _units.EnumerateArray())
            {
                if (index >= firstUnitIndex)
                {
                    // The value's own text, as the scientist wrote it: what the module gets (see WasmInput).
                    yield return new UnitInput(index, unit.GetRawText());
                }
                index++;
            }
            yield break;
        }
        for (var index = firstUnitIndex; index < UnitCount; index++)
        {
            // Int128: a range may span more than a long holds (from negative, to positive); each unit's ends fit.
            var from = (long)(_from + ((Int128)index * _unitSize));
            var to = (Int128)_to - from <= _unitSize ? _to : from + _unitSize;
            yield return new UnitInput(index, string.Create(CultureInfo.InvariantCulture, $$"""{"from":{{from}},"to":{{to}}}"""));
        }
    }

    private static WasmJobParameters FromList(JsonElement units, long maxUnits, bool hasReducer, IReadOnlyList<string> blobs)
    {
        if (units.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidJobParametersException("units must be a JSON array of the units' inputs, one value per unit.");
        }
        var count = units.GetArrayLength();
        if (count == 0)
        {
            throw new InvalidJobParametersException("units must hold at least one unit's input.");
        }
        if (count > maxUnits)
        {
            throw TooManyUnits(count, maxUnits, hasReducer);
        }
        return new WasmJobParameters(units.Clone(), 0, 0, 0, count, blobs);
    }

    private static WasmJobParameters FromRanges(JsonElement ranges, long maxUnits, bool hasReducer, IReadOnlyList<string> blobs)
    {
        Span<long> values = stackalloc long[RangeFieldNames.Length];
        if (IntegerFieldsJson.TryReadInt64Fields(ranges, RangeFieldNames, values) is { } problem)
        {
            throw new InvalidJobParametersException($"Invalid ranges: {problem}.");
        }
        var (from, to, unitSize) = (values[0], values[1], values[2]);
        if (to <= from)
        {
            throw new InvalidJobParametersException("ranges.to must be greater than ranges.from (the range is [from, to), half-open).");
        }
        if (unitSize < 1)
        {
            throw new InvalidJobParametersException("ranges.unitSize must be at least 1.");
        }
        // Int128: to - from may not fit a long (from negative, to positive).
        var length = (Int128)to - from;
        var count = (length / unitSize) + (length % unitSize == 0 ? 0 : 1);
        if (count > maxUnits)
        {
            throw TooManyUnits(count, maxUnits, hasReducer, (long)((length + maxUnits - 1) / maxUnits));
        }
        return new WasmJobParameters(default, from, to, unitSize, (long)count, blobs);
    }

    private static InvalidJobParametersException TooManyUnits(Int128 count, long maxUnits, bool hasReducer, long? smallestUnitSize = null)
    {
        var why = hasReducer
            ? $"a job has at most {maxUnits} units"
            : $"an app without a reducer module has the ordered list of its unit results as the job's result, so a job of it has at most {maxUnits} units (register the app with a reducer module for more)";
        var fix = smallestUnitSize is { } size ? $"; this range needs a unitSize of at least {size}" : "";
        return new InvalidJobParametersException($"The job has {count} units, but {why}{fix}.");
    }

    private static IReadOnlyList<string> ReadBlobs(JsonElement blobs)
    {
        if (blobs.ValueKind == JsonValueKind.Undefined)
        {
            return [];
        }
        if (blobs.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidJobParametersException("blobs must be a JSON array of blob digests (\"sha256:…\"), the shared inputs in the order the module reads them.");
        }
        var list = new List<string>();
        foreach (var blob in blobs.EnumerateArray())
        {
            var digest = blob.ValueKind == JsonValueKind.String ? blob.GetString() : null;
            if (!ContentDigest.IsWellFormed(digest))
            {
                throw new InvalidJobParametersException(
                    $"blobs[{list.Count}] must be a blob digest, \"sha256:\" and 64 lowercase hex digits, as the blob upload answered.");
            }
            if (list.Contains(digest!))
            {
                throw new InvalidJobParametersException($"blobs names {digest} twice.");
            }
            list.Add(digest!);
        }
        if (list.Count > MaxBlobs)
        {
            throw new InvalidJobParametersException($"blobs names {list.Count} blobs; a job may name at most {MaxBlobs}.");
        }
        return list;
    }
}

/// <summary>The splitter of every WebAssembly app (see <see cref="WasmJobParameters"/>).</summary>
internal sealed class WasmJobSplitter(bool hasReducer) : IJobSplitter
{
    public JobPlan Plan(JsonElement parameters) => new(WasmJobParameters.Parse(parameters, hasReducer).UnitCount);

    public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
    {
        // Parsed here, not in the iterator, so bad parameters throw at the call.
        ArgumentOutOfRangeException.ThrowIfNegative(firstUnitIndex);
        return WasmJobParameters.Parse(parameters, hasReducer).Units(firstUnitIndex);
    }
}

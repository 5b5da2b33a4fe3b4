using Wasmtime;

namespace Volunteer.Apps.Wasm;

/// <summary>
/// The functions a module and the host exchange (the README's ABI), by name and exact signature: what registration
/// checks a module against and what the sandbox provides. All pointers are i32 offsets into the exported memory.
/// </summary>
public static class WasmAbi
{
    /// <summary>The module every import comes from.</summary>
    public const string ImportModule = "volunteer";

    public const string Memory = "memory";

    public const string Alloc = "volunteer_alloc";

    public const string Compute = "volunteer_compute";

    public const string Reduce = "volunteer_reduce";

    public const string Result = "result";

    public const string Progress = "progress";

    public const string TimeToCheckpoint = "time_to_checkpoint";

    public const string CheckpointSave = "checkpoint_save";

    public const string CheckpointSize = "checkpoint_size";

    public const string CheckpointRead = "checkpoint_read";

    public const string BlobSize = "blob_size";

    public const string BlobRead = "blob_read";

    private const ValueKind I32 = ValueKind.Int32;
    private const ValueKind I64 = ValueKind.Int64;
    private const ValueKind F64 = ValueKind.Float64;

    /// <summary>The functions a module may import from <see cref="ImportModule"/>; each is optional.</summary>
    public static IReadOnlyDictionary<string, Signature> Imports { get; } = new Dictionary<string, Signature>(StringComparer.Ordinal)
    {
        [Result] = new([I32, I32], []),
        [Progress] = new([F64], []),
        [TimeToCheckpoint] = new([], [I32]),
        [CheckpointSave] = new([I32, I32, F64], []),
        [CheckpointSize] = new([], [I32]),
        [CheckpointRead] = new([I32], [I32]),
        [BlobSize] = new([I32], [I64]),
        [BlobRead] = new([I32, I64, I32, I32], [I32]),
    };

    /// <summary>The functions a module of <paramref name="kind"/> must export (besides its memory).</summary>
    public static IReadOnlyDictionary<string, Signature> Exports(ModuleKind kind) => kind switch
    {
        ModuleKind.Compute => ComputeExports,
        ModuleKind.Reducer => ReducerExports,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly Dictionary<string, Signature> ComputeExports = new(StringComparer.Ordinal)
    {
        [Alloc] = new([I32], [I32]),
        [Compute] = new([I32, I32], [I32]),
    };

    private static readonly Dictionary<string, Signature> ReducerExports = new(StringComparer.Ordinal)
    {
        [Alloc] = new([I32], [I32]),
        [Reduce] = new([I32, I32, I32, I32], [I32]),
    };

    /// <summary>A function type, written as WebAssembly text writes it.</summary>
    public sealed record Signature(IReadOnlyList<ValueKind> Parameters, IReadOnlyList<ValueKind> Results)
    {
        public bool Matches(IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results) =>
            Parameters.SequenceEqual(parameters) && Results.SequenceEqual(results);

        public override string ToString() => Describe(Parameters, Results);

        public static string Describe(IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results) =>
            $"({string.Join(", ", parameters.Select(Name))}) -> ({string.Join(", ", results.Select(Name))})";

        private static string Name(ValueKind kind) => kind switch
        {
            ValueKind.Int32 => "i32",
            ValueKind.Int64 => "i64",
            ValueKind.Float32 => "f32",
            ValueKind.Float64 => "f64",
            ValueKind.V128 => "v128",
            _ => kind.ToString().ToLowerInvariant(),
        };
    }
}

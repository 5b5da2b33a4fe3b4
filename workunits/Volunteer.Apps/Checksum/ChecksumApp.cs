using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Checksum;

/// <summary>
/// The built-in app "checksum": unit i's result is SHA-256(seed, i), which costs no CPU to speak of.
/// It exists to measure the platform itself (dispatch, validation, commits) under load; the job result
/// (the XOR of every unit's hash, and the unit count) still proves that every unit was assimilated once.
/// Parameters: <c>{"units": N, "seed": S}</c>.
/// </summary>
public sealed class ChecksumApp : IScienceApp
{
    public const string AppName = "checksum";

    /// <summary>Large enough for any benchmark, small enough that a unit index never overflows.</summary>
    public const long MaxUnits = 1_000_000_000;

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new ChecksumSplitter();

    public IUnitComputer Computer { get; } = new ChecksumComputer();

    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultReducer Reducer { get; } = new ChecksumReducer();

    /// <summary>A result is a SHA-256: 32 bytes, whatever their value.</summary>
    public IResultValidator Validator { get; } = new HashLength();

    internal static (long Units, long Seed) ReadParameters(JsonElement parameters)
    {
        Span<long> values = stackalloc long[2];
        if (IntegerFieldsJson.TryReadInt64Fields(parameters, ["units", "seed"], values) is { } problem)
        {
            throw new InvalidJobParametersException(problem);
        }
        if (values[0] is < 1 or > MaxUnits)
        {
            throw new InvalidJobParametersException($"units must be between 1 and {MaxUnits}");
        }
        return (values[0], values[1]);
    }

    /// <summary>SHA-256 of the seed and the unit index, both 8 bytes little-endian.</summary>
    internal static byte[] HashOf(long seed, long index)
    {
        Span<byte> input = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(input, seed);
        BinaryPrimitives.WriteInt64LittleEndian(input[8..], index);
        return SHA256.HashData(input);
    }

    private sealed class ChecksumSplitter : IJobSplitter
    {
        public JobPlan Plan(JsonElement parameters) => new(ReadParameters(parameters).Units);

        public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(firstUnitIndex);
            var (units, seed) = ReadParameters(parameters);
            return Units(units, seed, firstUnitIndex);
        }

        private static IEnumerable<UnitInput> Units(long units, long seed, long first)
        {
            for (var index = first; index < units; index++)
            {
                yield return new UnitInput(index, $$"""{"seed":{{seed.ToString(CultureInfo.InvariantCulture)}},"index":{{index.ToString(CultureInfo.InvariantCulture)}}}""");
            }
        }
    }

    private sealed class ChecksumComputer : IUnitComputer
    {
        public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var document = JsonDocument.Parse(input.Json);
            Span<long> values = stackalloc long[2];
            if (IntegerFieldsJson.TryReadInt64Fields(document.RootElement, ["seed", "index"], values) is { } problem)
            {
                throw new InvalidDataException($"Bad checksum unit input: {problem}");
            }
            return Task.FromResult(HashOf(values[0], values[1]));
        }
    }

    private sealed class HashLength : IResultValidator
    {
        public string? Check(UnitInput unit, ReadOnlySpan<byte> payload) =>
            payload.Length == 32 ? null : $"A checksum result is 32 bytes, not {payload.Length}.";
    }

    private sealed class ChecksumReducer : IResultReducer
    {
        public string Seed(JsonElement parameters) => Result(0, new byte[32]);

        public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
        {
            if (canonicalPayload.Length != 32)
            {
                throw new InvalidDataException($"A checksum result is 32 bytes, not {canonicalPayload.Length}.");
            }
            using var document = JsonDocument.Parse(accumulated);
            var xor = Convert.FromHexString(document.RootElement.GetProperty("xor").GetString()!);
            for (var i = 0; i < xor.Length; i++)
            {
                xor[i] ^= canonicalPayload[i];
            }
            return Result(document.RootElement.GetProperty("units").GetInt64() + 1, xor);
        }

        private static string Result(long units, byte[] xor) =>
            $$"""{"units":{{units.ToString(CultureInfo.InvariantCulture)}},"xor":"{{Convert.ToHexStringLower(xor)}}"}""";
    }
}

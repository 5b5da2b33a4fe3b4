using System.Buffers.Binary;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Apps.Wasm;

/// <summary>The results of tolerance apps: little-endian IEEE-754 float64 arrays.</summary>
internal static class Float64Results
{
    /// <summary>Null when <paramref name="payload"/> is whole float64s; otherwise why not.</summary>
    public static string? Problem(ReadOnlySpan<byte> payload) =>
        payload.Length % 8 == 0
            ? null
            : $"The result is {payload.Length} bytes, not a whole number of float64s (8 bytes each), as a tolerance app's result must be.";
}

/// <summary>
/// Two float64 arrays agree when they are as long and each pair is within Absolute + Relative · max(|a|, |b|), NaN
/// agreeing only with NaN and an infinity only with itself: what lets replicas computed on different hardware or with
/// different summation orders agree, while a wrong value does not.
/// </summary>
public sealed class Float64ToleranceComparator(double absolute, double relative) : IResultComparator
{
    public Float64ToleranceComparator(AppComparator comparator)
        : this(comparator?.Absolute ?? throw new ArgumentNullException(nameof(comparator)), comparator.Relative)
    {
    }

    public bool Agree(ResultSummary first, ResultSummary second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Payload is null || second.Payload is null)
        {
            // A payload too large to travel inline is known here by its digest only: identical bytes still agree.
            return DigestComparator.Instance.Agree(first, second);
        }
        return Agree(first.Payload, second.Payload);
    }

    public bool Agree(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        if (first.Length != second.Length || Float64Results.Problem(first) is not null)
        {
            return false;
        }
        for (var i = 0; i < first.Length; i += 8)
        {
            if (!Agree(BinaryPrimitives.ReadDoubleLittleEndian(first[i..]), BinaryPrimitives.ReadDoubleLittleEndian(second[i..])))
            {
                return false;
            }
        }
        return true;
    }

    private bool Agree(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.IsNaN(a) && double.IsNaN(b);
        }
        if (a == b)
        {
            return true;
        }
        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            return false;
        }
        return Math.Abs(a - b) <= absolute + (relative * Math.Max(Math.Abs(a), Math.Abs(b)));
    }
}

/// <summary>A tolerance app's result that is not whole float64s is invalid, however many hosts send it.</summary>
internal sealed class Float64ResultValidator : IResultValidator
{
    public static Float64ResultValidator Instance { get; } = new();

    public string? Check(UnitInput unit, ReadOnlySpan<byte> payload) => Float64Results.Problem(payload);
}

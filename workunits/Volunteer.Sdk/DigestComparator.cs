namespace Volunteer.Sdk;

/// <summary>Bitwise agreement: two results agree when their payload digests are equal.</summary>
public sealed class DigestComparator : IResultComparator
{
    public static DigestComparator Instance { get; } = new();

    public bool Agree(ResultSummary first, ResultSummary second) =>
        first.Size == second.Size && string.Equals(first.Digest, second.Digest, StringComparison.Ordinal);
}

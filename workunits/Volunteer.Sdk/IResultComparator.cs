namespace Volunteer.Sdk;

/// <summary>Decides whether two successful results of the same unit agree.</summary>
public interface IResultComparator
{
    bool Agree(ResultSummary first, ResultSummary second);
}

/// <summary>
/// A reported result as the coordinator sees it: the digest and size always, the payload only when
/// it was small enough to travel inline.
/// </summary>
public sealed record ResultSummary(string Digest, long Size, byte[]? Payload);

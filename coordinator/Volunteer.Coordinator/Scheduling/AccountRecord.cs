namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A volunteer: the person (or anonymous sign-up) behind one or more hosts. Replicas of one unit never go to
/// two hosts of one account, so a volunteer cannot validate their own results. The key is kept only as a hash.
/// </summary>
public sealed record AccountRecord(
    Guid Id,
    string Name,
    string? Email,
    string KeyHash,
    AccountOrigin Origin,
    DateTimeOffset CreatedAt);

public enum AccountOrigin
{
    /// <summary>A volunteer signed up (POST /api/v1/accounts).</summary>
    SignedUp,

    /// <summary>A host attached without an account key and was given an account of its own.</summary>
    Anonymous,
}

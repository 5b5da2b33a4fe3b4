namespace Volunteer.Coordinator.Scheduling;

/// <summary>A volunteer host, to which replicas are leased. The token is kept only as a hash; one public key attaches once.</summary>
public sealed record WorkerRecord(
    Guid Id,
    Guid AccountId,
    string Name,
    string TokenHash,
    string PublicKey,
    int Cores,
    DateTimeOffset CreatedAt);

/// <summary>A scientist's API key, kept only as a hash.</summary>
public sealed record ApiKeyRecord(string KeyHash, DateTimeOffset CreatedAt);

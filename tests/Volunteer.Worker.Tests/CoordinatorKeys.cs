using System.Security.Cryptography;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

/// <summary>The project's signing key as the tests' coordinator has it, and the tickets and passes it signs.</summary>
public static class CoordinatorKeys
{
    public static ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The public half as workers learn it at attach.</summary>
    public static string PublicKey { get; } = Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo());

    /// <summary>A key that is not the project's, for forgeries.</summary>
    public static ECDsa Stranger { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static BlobTicket Ticket(string digest, DateTimeOffset expiresAt, Guid? jobId = null, Guid? workerId = null) =>
        CoordinatorSignature.Ticket(Key, digest, workerId ?? Guid.NewGuid(), jobId ?? Guid.NewGuid(), expiresAt);

    public static PeerPass Pass(Guid workerId, ECDsa workerKey, DateTimeOffset expiresAt) =>
        CoordinatorSignature.Pass(Key, workerId, Convert.ToBase64String(workerKey.ExportSubjectPublicKeyInfo()), expiresAt);
}

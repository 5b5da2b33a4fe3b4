using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Volunteer.Protocol;

/// <summary>
/// The coordinator's ECDSA P-256 signatures over tickets and passes. Workers learn the public key at attach
/// (<see cref="WorkerAttachResponse.CoordinatorKey"/>) and check with it what a peer shows them, so no peer can
/// forge a permission. Each kind of statement has its own domain, so a signature over one never passes for another.
/// </summary>
public static class CoordinatorSignature
{
    public static BlobTicket Ticket(ECDsa coordinatorKey, string digest, Guid workerId, Guid jobId, DateTimeOffset expiresAt) =>
        new(digest, workerId, jobId, expiresAt, Sign(coordinatorKey, TicketBytes(digest, workerId, jobId, expiresAt)));

    /// <summary>True when the coordinator signed <paramref name="ticket"/>, it is for <paramref name="digest"/> and has not expired.</summary>
    public static bool Verify(ECDsa coordinatorPublicKey, BlobTicket? ticket, string digest, DateTimeOffset now) =>
        ticket is not null && ticket.Digest == digest && ticket.ExpiresAt > now
        && Verify(coordinatorPublicKey, TicketBytes(ticket.Digest, ticket.WorkerId, ticket.JobId, ticket.ExpiresAt), ticket.Signature);

    public static PeerPass Pass(ECDsa coordinatorKey, Guid workerId, string publicKey, DateTimeOffset expiresAt) =>
        new(workerId, publicKey, expiresAt, Sign(coordinatorKey, PassBytes(workerId, publicKey, expiresAt)));

    public static bool Verify(ECDsa coordinatorPublicKey, PeerPass? pass, DateTimeOffset now) =>
        pass is not null && pass.ExpiresAt > now
        && Verify(coordinatorPublicKey, PassBytes(pass.WorkerId, pass.PublicKey, pass.ExpiresAt), pass.Signature);

    /// <summary>The signature a registered app version carries: over its module's digest, its name, version and limits.</summary>
    public static string Module(ECDsa coordinatorKey, string name, string version, string digest, AppLimits limits) =>
        Sign(coordinatorKey, ModuleBytes(name, version, digest, limits));

    /// <summary>True when the coordinator signed this module, with these limits, under this name and version.</summary>
    public static bool Verify(ECDsa coordinatorPublicKey, AppModule? module) =>
        module is not null
        && Verify(coordinatorPublicKey, ModuleBytes(module.Name, module.Version, module.Digest, module.Limits), module.Signature);

    private static byte[] ModuleBytes(string name, string version, string digest, AppLimits limits) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"volunteer-module-v1\n{digest}\n{name}\n{version}\n{limits.MemoryBytes}\n{limits.FuelPerUnit}"));

    private static byte[] TicketBytes(string digest, Guid workerId, Guid jobId, DateTimeOffset expiresAt) =>
        Encoding.UTF8.GetBytes($"volunteer-ticket-v1\n{digest}\n{workerId:D}\n{jobId:D}\n{expiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}");

    private static byte[] PassBytes(Guid workerId, string publicKey, DateTimeOffset expiresAt) =>
        Encoding.UTF8.GetBytes($"volunteer-pass-v1\n{workerId:D}\n{publicKey}\n{expiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}");

    private static string Sign(ECDsa key, byte[] bytes) => Convert.ToBase64String(key.SignData(bytes, HashAlgorithmName.SHA256));

    private static bool Verify(ECDsa key, byte[] bytes, string? signature)
    {
        Span<byte> decoded = stackalloc byte[132];
        return Convert.TryFromBase64String(signature ?? "", decoded, out var length)
            && key.VerifyData(bytes, decoded[..length], HashAlgorithmName.SHA256);
    }
}

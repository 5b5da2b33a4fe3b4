using System.Security.Cryptography;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// The project's ECDSA P-256 key, the same on every silo (kept in the store), which signs blob tickets and peer passes.
/// Workers learn its public half at attach.
/// </summary>
public sealed class CoordinatorKey(ECDsa signer)
{
    public ECDsa Signer { get; } = signer;

    /// <summary>The public key as workers receive it: SubjectPublicKeyInfo, base64.</summary>
    public string PublicKey { get; } = Convert.ToBase64String(signer.ExportSubjectPublicKeyInfo());
}

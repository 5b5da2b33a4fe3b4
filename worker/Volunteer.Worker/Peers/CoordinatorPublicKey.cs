using System.Security.Cryptography;
using Volunteer.Protocol;

namespace Volunteer.Worker.Peers;

/// <summary>
/// The coordinator's public key, with which the peer endpoint checks the tickets and passes peers show it. Known from
/// attach; an identity saved before coordinators told it learns it once, from the coordinator, when the agent starts,
/// and until then the endpoint takes nothing that needs it.
/// </summary>
public sealed class CoordinatorPublicKey : IDisposable
{
    private volatile ECDsa? _key;

    public CoordinatorPublicKey(string? known)
    {
        if (known is not null)
        {
            _key = ReportSignature.ImportPublicKey(known);
        }
    }

    /// <summary>The key; null until it is known.</summary>
    public ECDsa? Key => _key;

    /// <summary>Takes the key as the coordinator gave it (SubjectPublicKeyInfo, base64); throws if it is not a P-256 public key.</summary>
    public void Learn(string subjectPublicKeyInfoBase64)
    {
        try
        {
            _key = ReportSignature.ImportPublicKey(subjectPublicKeyInfoBase64);
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("The coordinator's key is not base64.", ex);
        }
    }

    public void Dispose() => _key?.Dispose();
}

using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Volunteer.Coordinator.Authentication;

/// <summary>
/// Hashing of API keys and worker tokens. They are 256-bit random values, so a plain SHA-256 is
/// enough: there is no low-entropy password for a slow hash to protect.
/// </summary>
public static class SecretHash
{
    public static string Of(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Compares hashes in constant time so timing reveals nothing of a stored hash.</summary>
    public static bool Matches(string secret, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Of(secret)), Encoding.ASCII.GetBytes(storedHash));
}

using System.Security.Cryptography;

namespace Volunteer.Sdk;

/// <summary>Content addresses of the form <c>sha256:&lt;64 lowercase hex digits&gt;</c>.</summary>
public static class ContentDigest
{
    public const string Prefix = "sha256:";

    public static string Of(ReadOnlySpan<byte> content) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>True when <paramref name="digest"/> is well formed (says nothing of what it names).</summary>
    public static bool IsWellFormed(string? digest) =>
        digest is { Length: 71 }
        && digest.StartsWith(Prefix, StringComparison.Ordinal)
        && digest.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef") is false;
}

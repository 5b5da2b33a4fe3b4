namespace Volunteer.Coordinator.Authentication;

/// <summary>
/// Worker tokens and account keys look like "&lt;id&gt;.&lt;secret&gt;": the id finds the one stored hash to
/// compare with, so checking a secret never scans the store.
/// </summary>
public static class IdentifiedSecret
{
    public static string Format(Guid id, string secret) => $"{id:N}.{secret}";

    public static bool TryParseId(string? value, out Guid id)
    {
        var separator = value?.IndexOf('.') ?? -1;
        id = Guid.Empty;
        return separator > 0 && Guid.TryParseExact(value.AsSpan(0, separator), "N", out id);
    }
}

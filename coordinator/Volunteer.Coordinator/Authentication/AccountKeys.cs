using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Authentication;

/// <summary>Issues volunteer account keys and checks them against the hashes in the store.</summary>
public sealed class AccountKeys(IWorkStore store)
{
    /// <summary>A new account with a fresh key; the key is returned this once and only its hash is kept.</summary>
    public static (AccountRecord Account, string Key) Create(string name, string? email, AccountOrigin origin, DateTimeOffset now)
    {
        var id = Guid.NewGuid();
        var key = IdentifiedSecret.Format(id, SecretHash.NewSecret());
        return (new AccountRecord(id, name, email, SecretHash.Of(key), origin, now), key);
    }

    /// <summary>The account whose key this is, or null.</summary>
    public async Task<AccountRecord?> AuthenticateAsync(string? key, CancellationToken cancellationToken)
    {
        if (!IdentifiedSecret.TryParseId(key, out var accountId))
        {
            return null;
        }
        var account = await store.FindAccountAsync(accountId, cancellationToken);
        return account is not null && SecretHash.Matches(key!, account.KeyHash) ? account : null;
    }
}

using System.Collections.Concurrent;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Authentication;

/// <summary>Checks scientists' API keys against the hashes in the store (known ones cached).</summary>
public sealed class ApiKeys(IWorkStore store)
{
    private readonly ConcurrentDictionary<string, bool> _known = new();

    public async Task<bool> IsValidAsync(string? key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }
        var hash = SecretHash.Of(key);
        if (_known.ContainsKey(hash))
        {
            return true;
        }
        if (await store.IsApiKeyKnownAsync(hash, cancellationToken))
        {
            _known[hash] = true;
            return true;
        }
        return false;
    }
}

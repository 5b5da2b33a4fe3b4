namespace Volunteer.Dashboard.Access;

/// <summary>Checks a scientist's or operator's API key: the coordinator answers from its store of key hashes.</summary>
public interface IDashboardKeys
{
    Task<bool> IsValidAsync(string key, CancellationToken cancellationToken);
}

using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>What the dashboard's volunteer pages read beyond the credit the API shows.</summary>
public partial interface IWorkStore
{
    /// <summary>
    /// The holder's ledger lines written in [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/> ×
    /// <paramref name="size"/>), added up per stretch of <paramref name="size"/> (whole seconds) from <paramref name="from"/>
    /// on: only stretches that have lines, oldest first, so at most <paramref name="count"/> rows.
    /// </summary>
    Task<IReadOnlyList<CreditBucketRecord>> ListCreditBucketsAsync(
        CreditHolder holder, Guid holderId, DateTimeOffset from, TimeSpan size, int count, CancellationToken cancellationToken = default);
}

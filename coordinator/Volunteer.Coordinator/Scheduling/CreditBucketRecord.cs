namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A holder's ledger lines written in one stretch of time, added up (what the credit-over-time chart draws): the store
/// sums them, so a chart reads one row per stretch however many results a volunteer returned.
/// </summary>
/// <param name="Start">Where the stretch starts: the window's start plus a whole number of stretches.</param>
/// <param name="Amount">Credit granted in the stretch less credit taken back in it.</param>
/// <param name="ValidResults">Grants less revocations, as <see cref="CreditTotalRecord.ValidResults"/> counts them.</param>
public sealed record CreditBucketRecord(DateTimeOffset Start, double Amount, long ValidResults);

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// One line of the credit ledger: credit granted to a replica that matched its unit's canonical result (a positive
/// amount), or taken back from one (negative) when its result, accepted alone, went back to be replicated. Written
/// in the same commit as the judgement, so credit is never granted before validation, nor twice.
/// </summary>
/// <param name="EarnedAt">
/// When the credit was earned: for a grant, its validation; for a revocation, the validation of the grant it takes
/// back, so that the recent average loses exactly what the grant added.
/// </param>
/// <param name="At">When the line was written.</param>
public sealed record CreditEntryRecord(
    Guid Id,
    Guid AccountId,
    Guid WorkerId,
    Guid JobId,
    long UnitIndex,
    int Replica,
    double Amount,
    DateTimeOffset EarnedAt,
    DateTimeOffset At);

namespace Volunteer.Protocol;

/// <summary>A volunteer signs up: a name shown with their credit, and an email if they want to be reachable.</summary>
public sealed record AccountSignUpRequest(string Name, string? Email = null);

/// <summary>The new account; its key is shown this once and stored by the coordinator only hashed.</summary>
/// <param name="AccountKey">What the volunteer's hosts attach with (<see cref="WorkerAttachRequest.AccountKey"/>).</param>
public sealed record AccountSignUpResponse(Guid AccountId, string Name, string AccountKey);

namespace Volunteer.Protocol;

/// <summary>A volunteer signs up: a name shown with their credit, and an email if they want to be reachable.</summary>
public sealed record AccountSignUpRequest(string Name, string? Email = null);

/// <summary>The new account; its key is shown this once and stored by the coordinator only hashed.</summary>
/// <param name="AccountKey">What the volunteer's hosts attach with (<see cref="WorkerAttachRequest.AccountKey"/>).</param>
public sealed record AccountSignUpResponse(Guid AccountId, string Name, string AccountKey);

/// <summary>
/// An account as anyone may see it (GET /api/v1/accounts/{id}): its name, its credit and its hosts'. Never its email
/// or its key.
/// </summary>
/// <param name="Hosts">Its hosts, oldest first (at most 100).</param>
public sealed record AccountView(Guid Id, string Name, DateTimeOffset CreatedAt, CreditSummary Credit, IReadOnlyList<AccountHostView> Hosts);

/// <summary>One host of an account, as the public account view shows it.</summary>
public sealed record AccountHostView(Guid WorkerId, string Name, int Cores, DateTimeOffset AttachedAt, CreditSummary Credit);

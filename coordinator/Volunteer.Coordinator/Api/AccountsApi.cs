using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>Volunteer accounts: sign up, then attach hosts with the account key; anyone may see an account's credit.</summary>
public static class AccountsApi
{
    public const int MaxNameLength = 100;

    /// <summary>RFC 5321's limit on a forward path.</summary>
    public const int MaxEmailLength = 254;

    /// <summary>A sign-up is a name and an email.</summary>
    public const int MaxSignUpBytes = 2 * 1024;

    public static RouteGroupBuilder MapAccountsApi(this IEndpointRouteBuilder routes)
    {
        var policy = routes.ServiceProvider.GetRequiredService<IOptions<VolunteerOptions>>().Value.SignUp;
        var accounts = routes.MapGroup("/" + Routes.Accounts).WithTags("Accounts");
        var signUp = accounts.MapPost("/", SignUpAsync).WithName("SignUp").RequireAdmission()
            // Sign-ups come from anywhere; per address they are limited like attaches.
            .RequireRateLimiting(WorkersApi.AttachRateLimit)
            .WithMetadata(new BodyLimit(MaxSignUpBytes))
            .WithSummary("Create a volunteer account; its key is shown once.");
        if (policy == SignUpPolicy.ApiKey)
        {
            signUp.RequireApiKey();
        }
        accounts.MapGet("/{accountId}", GetAsync).WithName("GetAccount")
            .WithSummary("An account as anyone may see it: its name, credit and hosts (no email, no key).");
        return accounts;
    }

    private static async Task<Results<Created<AccountSignUpResponse>, ProblemHttpResult>> SignUpAsync(
        AccountSignUpRequest request, IWorkStore store, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            return Problems.BadRequest($"'name' must be 1 to {MaxNameLength} characters.");
        }
        if (request.Email is { } email && !IsEmailAddress(email))
        {
            return Problems.BadRequest($"'email' must be an address like name@example.org, at most {MaxEmailLength} characters.");
        }
        var (account, key) = AccountKeys.Create(request.Name, request.Email, AccountOrigin.SignedUp, time.GetUtcNow());
        var batch = new WorkBatch();
        batch.Accounts.Add(account);
        await store.CommitAsync(batch);
        return TypedResults.Created("/" + Routes.Account(account.Id), new AccountSignUpResponse(account.Id, account.Name, key));
    }

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> GetAsync(
        string accountId, IWorkStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(accountId, out var id))
        {
            return Problems.BadRequest($"{Problems.Quote(accountId)} is not an account id (a GUID).");
        }
        return await CreditViews.AccountAsync(store, id, time.GetUtcNow(), cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFound($"There is no account {id}.");
    }

    /// <summary>One '@' with something on both sides and no spaces: enough to catch mistakes; only a mail proves an address.</summary>
    private static bool IsEmailAddress(string email)
    {
        var at = email.IndexOf('@');
        return email.Length <= MaxEmailLength && at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1
            && !email.Any(char.IsWhiteSpace);
    }
}

using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Volunteer.Dashboard.Access;

/// <summary>
/// The dashboard's sign-in: the API key itself, kept in an HttpOnly, Secure, SameSite=Strict cookie and checked against
/// the store's key hashes on every request. Any silo can check it (no session state, no shared key ring), and a key
/// that is revoked stops working at once.
/// </summary>
public static class ApiKeyCookie
{
    public const string Scheme = "ApiKeyCookie";

    public const string CookieName = "volunteer-api-key";

    /// <summary>The longest an API key may be: keys are 43 characters; anything far longer is not one.</summary>
    public const int MaxKeyLength = 256;

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public static CookieOptions Options(DateTimeOffset now) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = now + Lifetime,
        IsEssential = true,
    };

    /// <summary>Where a sign-in may send the browser next: a path on this site only, never another site.</summary>
    public static string LocalReturnPath(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/jobs";
}

/// <summary>Authenticates a request by the API key in its cookie; sends an anonymous one to the sign-in page.</summary>
public sealed class ApiKeyCookieHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IDashboardKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SignedInName = "API key holder";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(ApiKeyCookie.CookieName, out var key) || string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }
        if (key.Length > ApiKeyCookie.MaxKeyLength || !await keys.IsValidAsync(key, Context.RequestAborted))
        {
            return AuthenticateResult.Fail("The API key in the dashboard cookie is not valid.");
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, SignedInName)], ApiKeyCookie.Scheme);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyCookie.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Redirect("/login?returnUrl=" + Uri.EscapeDataString(Request.PathBase + Request.Path + Request.QueryString));
        return Task.CompletedTask;
    }
}

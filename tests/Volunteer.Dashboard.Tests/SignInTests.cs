using Volunteer.Dashboard.Access;

namespace Volunteer.Dashboard.Tests;

public sealed class SignInTests
{
    [Theory]
    [InlineData("/jobs/3f2a", "/jobs/3f2a")]
    [InlineData("/hosts?page=2", "/hosts?page=2")]
    [InlineData(null, "/jobs")]
    [InlineData("", "/jobs")]
    [InlineData("https://evil.example/", "/jobs")]
    [InlineData("//evil.example/path", "/jobs")]
    [InlineData("/\\evil.example", "/jobs")]
    [InlineData("jobs", "/jobs")]
    public void A_sign_in_returns_only_to_a_path_on_this_site(string? returnUrl, string expected) =>
        Assert.Equal(expected, ApiKeyCookie.LocalReturnPath(returnUrl));
}

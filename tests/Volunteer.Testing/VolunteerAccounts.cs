using System.Net;
using System.Net.Http.Json;
using Volunteer.Protocol;

namespace Volunteer.Testing;

/// <summary>Volunteer accounts made over the account API, as a volunteer makes one before attaching their hosts.</summary>
public static class VolunteerAccounts
{
    /// <summary>
    /// Signs up an account called <paramref name="name"/> (open sign-up, no API key) and returns it with its key.
    /// Anything but 201 Created throws an <see cref="HttpRequestException"/> naming the status and the problem.
    /// </summary>
    public static async Task<AccountSignUpResponse> SignUpAsync(HttpClient http, Uri coordinator, string name, CancellationToken cancellationToken = default)
    {
        using var response = await (await http.PostAsJsonAsync(
                new Uri(coordinator, Routes.Accounts), new AccountSignUpRequest(name), ProtocolJson.Options, cancellationToken))
            .ExpectAsync(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<AccountSignUpResponse>(ProtocolJson.Options, cancellationToken))!;
    }
}

using System.Net;

namespace Volunteer.Testing;

/// <summary>Checks on the coordinator's HTTP answers, shared by the API and the end-to-end tests.</summary>
public static class HttpAnswers
{
    /// <summary>
    /// Returns <paramref name="response"/> if it has the <paramref name="expected"/> status. Otherwise disposes
    /// it and throws an <see cref="HttpRequestException"/> naming the request, the status and the body (an
    /// exception that <see cref="Eventually.WaitAsync{T}"/> tries again after).
    /// </summary>
    public static async Task<HttpResponseMessage> ExpectAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode == expected)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new HttpRequestException(
                $"Expected {(int)expected} {expected} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}, " +
                $"got {(int)response.StatusCode} {response.StatusCode}: {body}",
                null,
                response.StatusCode);
        }
    }
}

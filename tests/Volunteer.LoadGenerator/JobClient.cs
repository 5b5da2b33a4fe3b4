using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.LoadGenerator;

/// <summary>
/// The scientist's side of a run: submits the measured checksum jobs and polls their state, from whichever silo
/// answers. A silo killed mid-run refuses connections or answers 503 for a while; a poll then asks the next silo
/// and, when none answers, says so (null) for the caller to poll again, instead of ending the run.
/// </summary>
public sealed class JobClient(IReadOnlyList<Uri> coordinators, string apiKey) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private int _answering;

    public async Task<(Guid Id, TimeSpan AcceptedIn)> SubmitAsync(long units, bool adaptive)
    {
        var submit = Stopwatch.StartNew();
        using var submission = new HttpRequestMessage(HttpMethod.Post, new Uri(coordinators[_answering], Routes.Jobs))
        {
            Content = JsonContent.Create(new
            {
                app = "checksum",
                parameters = new { units, seed = 1 },
                redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 2, maxTotalResults = 4 },
                adaptive,
            }),
        };
        submission.Headers.Add(Routes.ApiKeyHeader, apiKey);
        using var submitted = await _http.SendAsync(submission);
        var acceptedIn = submit.Elapsed;
        var job = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement;
        return submitted.IsSuccessStatusCode
            ? (job.GetProperty("id").GetGuid(), acceptedIn)
            : throw new InvalidOperationException($"Submitting the job failed: {job}");
    }

    /// <summary>The job's state and units assimilated, from the first silo that answers; null when none did.</summary>
    public async Task<(string State, long Assimilated)?> StateAsync(Guid id)
    {
        for (var tried = 0; tried < coordinators.Count; tried++)
        {
            try
            {
                using var view = new HttpRequestMessage(HttpMethod.Get, new Uri(coordinators[_answering], Routes.Job(id)));
                view.Headers.Add(Routes.ApiKeyHeader, apiKey);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var answer = await _http.SendAsync(view, timeout.Token);
                if (answer.IsSuccessStatusCode)
                {
                    var current = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
                    return (current.GetProperty("state").GetString()!, current.GetProperty("units").GetProperty("assimilated").GetInt64());
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                // This silo did not answer well: the next one may.
            }
            _answering = (_answering + 1) % coordinators.Count;
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}

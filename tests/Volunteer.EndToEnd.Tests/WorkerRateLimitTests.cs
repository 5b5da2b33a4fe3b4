using System.Net;
using System.Net.Http.Json;
using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>The per-worker rate limit of a real coordinator, over real HTTP (headers as sent, not normalised).</summary>
public sealed class WorkerRateLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Spelling_the_token_differently_opens_no_second_rate_budget()
    {
        var folder = TestFolders.Create("rate-limit");
        try
        {
            // The default limit: 50 syncs per worker per second.
            await using var coordinator = new CoordinatorProcess("coordinator", Path.Combine(folder, "data"), "rate-limit-key", new Dictionary<string, string>());
            await coordinator.StartAsync();
            using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };
            using var host = new SimulatedHost(http, coordinator.BaseAddress);
            using (var attach = await host.PostAttachAsync("padded", 1))
            {
                await attach.ExpectAsync(HttpStatusCode.Created);
            }

            // 200 syncs at once, each with the token behind its own run of spaces: one worker, one budget.
            var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            {
                var message = new HttpRequestMessage(HttpMethod.Post, Routes.WorkerSync)
                {
                    Content = JsonContent.Create(new SyncRequest(), options: ProtocolJson.Options),
                };
                message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string(' ', i + 1) + host.Token);
                return http.SendAsync(message);
            }));
            var statuses = responses.Select(r => r.StatusCode).ToList();
            responses.ToList().ForEach(r => r.Dispose());
            output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}: {g.Count()}")));

            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
            Assert.Contains(HttpStatusCode.OK, statuses);
            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        }
        finally
        {
            TestFolders.Delete(folder, output);
        }
    }
}

using System.Net;
using Volunteer.LoadGenerator.Population;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.LoadGenerator.Tests;

/// <summary>
/// The population's sync loop on real loopback sockets: each sync a connection of its own from its volunteer's address,
/// and what a real agent does when a silo refuses, sheds or never answers, counted as the figures count it.
/// </summary>
public sealed class SyncLoopTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_sync_is_one_request_over_a_connection_of_its_own_from_the_volunteers_address()
    {
        var served = ScriptedSilo.EmptySync();
        await using var silo = new ScriptedSilo((_, _) => served);
        var figures = new PopulationFigures();
        var volunteers = Population(8, figures, TimeSpan.FromMilliseconds(300), silo.Endpoint);

        using (var loop = Start(volunteers, Timeout))
        {
            await Eventually.UntilAsync("three syncs from every volunteer", () => volunteers.All(v => silo.CountFrom(v.Source) >= 3),
                () => $"{silo.Requests.Count} requests", Timeout);
        }

        Assert.All(silo.Requests, request =>
        {
            Assert.StartsWith($"POST /{Routes.WorkerSync} HTTP/1.1\r\n", request.Head, StringComparison.Ordinal);
            Assert.Contains("\r\nConnection: close\r\n", request.Head, StringComparison.Ordinal);
        });
        Assert.Equal(Addresses(volunteers.Select(v => v.Source)), Addresses(silo.Requests.Select(r => r.From).Distinct()));
        Assert.Equal(8, figures.ServedOnce);
        var window = figures.NextWindow();
        Assert.Equal("", Described(window.Failures));
        Assert.True(window.Served >= 24, $"{window.Served} syncs served");
        // Nothing was reported or leased: every served sync counts as a heartbeat.
        Assert.Equal(0, window.Carrying);
    }

    [Fact]
    public async Task A_refused_connection_is_counted_and_the_volunteer_moves_to_the_next_silo()
    {
        var served = ScriptedSilo.EmptySync();
        await using var silo = new ScriptedSilo((_, _) => served);
        var dead = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        var figures = new PopulationFigures();
        // Volunteer n starts with silo n mod 2: the even ones with the dead one.
        var volunteers = Population(4, figures, Timeout, dead, silo.Endpoint);

        using (var loop = Start(volunteers, Timeout))
        {
            await Eventually.UntilAsync("every volunteer served", () => figures.ServedOnce == 4, () => $"{figures.ServedOnce} served", Timeout);
        }

        Assert.Equal("sync ConnectionRefused: 2", Described(figures.NextWindow().Failures));
        Assert.Equal(Addresses(volunteers.Select(v => v.Source)), Addresses(silo.Requests.Select(r => r.From)));
    }

    [Fact]
    public async Task A_shed_sync_is_retried_after_what_its_retry_after_asked()
    {
        var served = ScriptedSilo.EmptySync();
        await using var silo = new ScriptedSilo((_, before) => before == 0
            ? ScriptedSilo.Answer("503 Service Unavailable", "{}", "Retry-After: 1\r\n")
            : served);
        var figures = new PopulationFigures();
        var volunteers = Population(3, figures, Timeout, silo.Endpoint);

        using (var loop = Start(volunteers, Timeout))
        {
            await Eventually.UntilAsync("every volunteer served", () => figures.ServedOnce == 3, () => $"{figures.ServedOnce} served", Timeout);
        }

        Assert.Equal("sync HTTP 503: 3", Described(figures.NextWindow().Failures));
        foreach (var volunteer in volunteers)
        {
            var times = silo.Requests.Where(r => r.From.Equals(volunteer.Source)).Select(r => r.At).ToList();
            Assert.Equal(2, times.Count);
            Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(0.9), $"retried after {(times[1] - times[0]).TotalMilliseconds} ms");
        }
    }

    [Fact]
    public async Task A_silo_that_never_answers_is_given_up_after_the_request_timeout()
    {
        var served = ScriptedSilo.EmptySync();
        await using var silo = new ScriptedSilo((_, before) => before == 0 ? null : served);
        var figures = new PopulationFigures();
        var volunteers = Population(2, figures, Timeout, silo.Endpoint);

        using (var loop = Start(volunteers, TimeSpan.FromSeconds(1)))
        {
            await Eventually.UntilAsync("every volunteer served", () => figures.ServedOnce == 2, () => $"{figures.ServedOnce} served", Timeout);
        }

        Assert.Equal("sync timeout: 2", Described(figures.NextWindow().Failures));
    }

    /// <param name="interval">Between a volunteer's syncs: long enough, where a test counts requests, that none comes twice unasked.</param>
    private static List<PopulationVolunteer> Population(int count, PopulationFigures figures, TimeSpan interval, params IPEndPoint[] silos)
    {
        var settings = new PopulationSettings(silos, UnitsPerSync: 2, Cores: 1, interval,
            UnitTime: TimeSpan.FromMinutes(10), RequestTimeout: Timeout, FirstRetry: TimeSpan.FromMilliseconds(100), figures,
            new SemaphoreSlim(16), FirstSyncsOver: TimeSpan.FromMilliseconds(100));
        return [.. Enumerable.Range(0, count).Select(n => new PopulationVolunteer(n, LoopbackSources.Next(), settings))];
    }

    /// <summary>Failures by kind, as one line (the figures' own order), so a wrong count shows what came instead.</summary>
    private static string Described(IDictionary<string, int> failures) =>
        string.Join(", ", failures.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}: {f.Value}"));

    private static List<string> Addresses(IEnumerable<IPAddress> addresses) => [.. addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal)];

    private static SyncLoop Start(List<PopulationVolunteer> volunteers, TimeSpan requestTimeout)
    {
        var loop = new SyncLoop(requestTimeout, maxOpen: 64);
        foreach (var volunteer in volunteers)
        {
            loop.Start(volunteer, volunteer.FirstSyncDue());
        }
        return loop;
    }
}

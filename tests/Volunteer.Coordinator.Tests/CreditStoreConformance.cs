using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must keep for adaptive replication and credit: hosts' records with each app
/// added up stretch by stretch, the credit ledger with the totals its lines add to, the leaderboard, and host flags.
/// </summary>
public abstract class CreditStoreConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Holds every write of the store's group commit off until disposed, from a connection of the test's own; the
    /// store's batches queue up meanwhile, and the writer takes all that queued as its next group.
    /// </summary>
    protected abstract Task<IAsyncDisposable> HoldWritesAsync();

    [Fact]
    public async Task A_hosts_record_with_an_app_adds_up_stretch_by_stretch()
    {
        var host = Guid.NewGuid();
        await Commit(b => b.Reliability.Add(Stretch(host, "primes", new HostTally(3, 0, 1, 0, 3, 30, 4), Now)));
        await Commit(b => b.Reliability.Add(Stretch(host, "primes", new HostTally(2, 0, 0, 1, 2, 12.5, 2), Now.AddMinutes(1))));
        var beforeTheInvalid = await Store.ListHostReliabilityAsync(host);
        // An invalid result restarts the run: only the valid results after it count.
        await Commit(b => b.Reliability.Add(Stretch(host, "primes", new HostTally(4, 1, 0, 0, 1, 7.5, 5), Now.AddMinutes(2))));
        // A stretch written late, with an earlier time, does not move the record's time back.
        await Commit(b => b.Reliability.Add(Stretch(host, "primes", new HostTally(1, 0, 0, 0, 1, 0, 0), Now)));
        await Commit(b => b.Reliability.Add(Stretch(host, "mersenne", HostTally.OneError, Now)));

        Assert.Equal([Stretch(host, "primes", new HostTally(5, 0, 1, 1, 5, 42.5, 6), Now.AddMinutes(1))], beforeTheInvalid);
        Assert.Equal(
            [
                Stretch(host, "mersenne", HostTally.OneError, Now),
                Stretch(host, "primes", new HostTally(10, 1, 1, 1, 2, 50, 11), Now.AddMinutes(2)),
            ],
            await Store.ListHostReliabilityAsync(host));
        Assert.Empty(await Store.ListHostReliabilityAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Stretches_of_one_host_committed_in_one_group_add_up_in_order()
    {
        var host = Guid.NewGuid();
        var stored = Stretch(host, "primes", new HostTally(5, 0, 0, 0, 5), Now);
        await Commit(b => b.Reliability.Add(stored));
        HostReliabilityRecord[] stretches =
        [
            Stretch(host, "primes", new HostTally(3, 0, 0, 0, 3, 9, 3), Now.AddMinutes(1)),
            Stretch(host, "primes", new HostTally(2, 1, 0, 0, 2, 4, 3), Now.AddMinutes(3)),
            Stretch(host, "primes", new HostTally(4, 0, 0, 1, 4, 8, 4), Now.AddMinutes(2)),
        ];

        // Queued while writes are held: the writer's first group takes the other host's batch and perhaps some of
        // these; the next takes the rest, so at least two of the three share a transaction.
        var commits = new List<Task>();
        await using (await HoldWritesAsync())
        {
            commits.Add(Commit(b => b.Reliability.Add(Stretch(Guid.NewGuid(), "primes", HostTally.OneValid, Now))));
            commits.AddRange(stretches.Select(stretch => Commit(b => b.Reliability.Add(stretch))));
        }
        await Task.WhenAll(commits);

        Assert.Equal([Stretch(host, "primes", new HostTally(14, 1, 0, 1, 6, 21, 10), Now.AddMinutes(3))], await Store.ListHostReliabilityAsync(host));
        Assert.Equal(stretches.Aggregate(stored, (record, stretch) => record.Then(stretch)), Assert.Single(await Store.ListHostReliabilityAsync(host)));
    }

    [Fact]
    public async Task Two_stretches_of_one_host_in_one_batch_add_up_in_order()
    {
        var host = Guid.NewGuid();
        await Commit(b => b.Reliability.AddRange(
        [
            Stretch(host, "primes", new HostTally(3, 0, 0, 0, 3), Now),
            Stretch(host, "primes", new HostTally(1, 1, 0, 0, 1), Now.AddMinutes(1)),
        ]));
        await Commit(b => b.Reliability.AddRange(
        [
            Stretch(host, "primes", new HostTally(1, 1, 0, 0, 0), Now.AddMinutes(2)),
            Stretch(host, "primes", new HostTally(2, 0, 0, 0, 2), Now.AddMinutes(3)),
        ]));

        Assert.Equal([Stretch(host, "primes", new HostTally(7, 2, 0, 0, 2), Now.AddMinutes(3))], await Store.ListHostReliabilityAsync(host));
    }

    [Fact]
    public async Task Ledger_lines_are_kept_and_add_to_their_accounts_and_hosts_totals()
    {
        var (account, laptop, desktop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var first = Line(account, laptop, 10, Week(45), Now);
        var second = Line(account, desktop, 2.5, Week(46), Now.AddMinutes(1));
        var third = Line(account, laptop, 4, Week(46), Now.AddMinutes(2));
        await Commit(b => b.Credits.AddRange([first, second]));
        await Commit(b => b.Credits.Add(third));

        Assert.Equal(
            new CreditTotalRecord(CreditHolder.Account, account, 16.5, 10 * Weight(45) + 2.5 * Weight(46) + 4 * Weight(46), 3, Now.AddMinutes(2)),
            await Store.FindCreditTotalAsync(CreditHolder.Account, account));
        Assert.Equal(
            new CreditTotalRecord(CreditHolder.Host, laptop, 14, 10 * Weight(45) + 4 * Weight(46), 2, Now.AddMinutes(2)),
            await Store.FindCreditTotalAsync(CreditHolder.Host, laptop));
        Assert.Equal(
            new CreditTotalRecord(CreditHolder.Host, desktop, 2.5, 2.5 * Weight(46), 1, Now.AddMinutes(1)),
            await Store.FindCreditTotalAsync(CreditHolder.Host, desktop));
        // An account's id is no host's: totals are kept per kind of holder.
        Assert.Null(await Store.FindCreditTotalAsync(CreditHolder.Host, account));
        Assert.Null(await Store.FindCreditTotalAsync(CreditHolder.Account, Guid.NewGuid()));

        Assert.Equal([third, second, first], await Store.ListCreditEntriesAsync(CreditHolder.Account, account, 10));
        Assert.Equal([third, second], await Store.ListCreditEntriesAsync(CreditHolder.Account, account, 2));
        Assert.Equal([third, first], await Store.ListCreditEntriesAsync(CreditHolder.Host, laptop, 10));
        Assert.Equal([second], await Store.ListCreditEntriesAsync(CreditHolder.Host, desktop, 10));
        Assert.Empty(await Store.ListCreditEntriesAsync(CreditHolder.Host, account, 10));
    }

    [Fact]
    public async Task A_revocation_takes_back_exactly_what_its_grant_added()
    {
        var (account, host) = (Guid.NewGuid(), Guid.NewGuid());
        var grant = Line(account, host, 37.25, Week(46), Now);
        await Commit(b => b.Credits.Add(grant));
        var granted = await Store.FindCreditTotalAsync(CreditHolder.Account, account);

        // Earned when the grant was: the recent average loses what the grant added.
        var revocation = grant with { Id = Guid.NewGuid(), Amount = -grant.Amount, At = Now.AddHours(1) };
        await Commit(b => b.Credits.Add(revocation));

        Assert.Equal(new CreditTotalRecord(CreditHolder.Account, account, 37.25, 37.25 * Weight(46), 1, Now), granted);
        Assert.Equal(new CreditTotalRecord(CreditHolder.Account, account, 0, 0, 0, Now.AddHours(1)),
            await Store.FindCreditTotalAsync(CreditHolder.Account, account));
        Assert.Equal(new CreditTotalRecord(CreditHolder.Host, host, 0, 0, 0, Now.AddHours(1)),
            await Store.FindCreditTotalAsync(CreditHolder.Host, host));
        Assert.Equal([revocation, grant], await Store.ListCreditEntriesAsync(CreditHolder.Host, host, 10));
    }

    [Fact]
    public async Task Lines_committed_in_one_group_add_up_to_the_same_totals()
    {
        var (account, host) = (Guid.NewGuid(), Guid.NewGuid());
        var grants = Enumerable.Range(0, 6).Select(i => Line(account, host, 1 + i, Week(40 + i), Now.AddSeconds(i))).ToList();
        var revocation = grants[2] with { Id = Guid.NewGuid(), Amount = -grants[2].Amount, At = Now.AddSeconds(10) };

        var commits = new List<Task>();
        await using (await HoldWritesAsync())
        {
            commits.Add(Commit(b => b.Credits.Add(Line(Guid.NewGuid(), Guid.NewGuid(), 1, Week(46), Now))));
            commits.AddRange(grants.Select(grant => Commit(b => b.Credits.Add(grant))));
            commits.Add(Commit(b => b.Credits.Add(revocation)));
        }
        await Task.WhenAll(commits);

        var decayed = Enumerable.Range(0, 6).Where(i => i != 2).Sum(i => (1 + i) * Weight(40 + i));
        Assert.Equal(new CreditTotalRecord(CreditHolder.Account, account, 18, decayed, 5, Now.AddSeconds(10)),
            await Store.FindCreditTotalAsync(CreditHolder.Account, account));
        Assert.Equal(new CreditTotalRecord(CreditHolder.Host, host, 18, decayed, 5, Now.AddSeconds(10)),
            await Store.FindCreditTotalAsync(CreditHolder.Host, host));
        Assert.Equal(7, (await Store.ListCreditEntriesAsync(CreditHolder.Account, account, 100)).Count);
    }

    [Fact]
    public async Task A_ledger_line_is_written_once_and_added_once()
    {
        var (account, host) = (Guid.NewGuid(), Guid.NewGuid());
        var line = Line(account, host, 10, Week(46), Now);
        await Commit(b => b.Credits.Add(line));

        await Assert.ThrowsAnyAsync<Exception>(() => Commit(b => b.Credits.Add(line with { At = Now.AddMinutes(1) })));

        Assert.Equal(new CreditTotalRecord(CreditHolder.Account, account, 10, 10 * Weight(46), 1, Now),
            await Store.FindCreditTotalAsync(CreditHolder.Account, account));
        Assert.Equal([line], await Store.ListCreditEntriesAsync(CreditHolder.Host, host, 10));
    }

    [Fact]
    public async Task The_leaderboard_ranks_accounts_and_hosts_by_total_or_recent_average_with_their_names()
    {
        var ada = Account("Ada");
        var bob = Account("Bob");
        var cy = Account("Cy");
        var dee = Account("Dee");
        var adasHost = Host(ada, "analytical engine");
        var bobsLaptop = Host(bob, "laptop");
        var bobsDesktop = Host(bob, "desktop");
        var cysHost = Host(cy, "cy's box");
        var deesHost = Host(dee, "dee's box");
        await Commit(b =>
        {
            b.Accounts.AddRange([ada, bob, cy, dee]);
            b.Workers.AddRange([adasHost, bobsLaptop, bobsDesktop, cysHost, deesHost]);
        });
        // Ada earned most, long ago; Bob and Cy less, lately (a tie on both orders, which their ids break); Dee in between.
        await Commit(b => b.Credits.AddRange(
        [
            Line(ada.Id, adasHost.Id, 300, Week(40), Now),
            Line(bob.Id, bobsLaptop.Id, 60, Week(46), Now),
            Line(bob.Id, bobsDesktop.Id, 40, Week(46), Now),
            Line(cy.Id, cysHost.Id, 100, Week(46), Now),
            Line(dee.Id, deesHost.Id, 50, Week(45), Now),
            // Credit of an account nobody can name (no such row) is kept but not ranked.
            Line(Guid.NewGuid(), Guid.NewGuid(), 1000, Week(46), Now),
        ]));
        var (first, second) = string.CompareOrdinal(bob.Id.ToString(), cy.Id.ToString()) < 0 ? (bob, cy) : (cy, bob);

        var byTotal = await Store.ListCreditStandingsAsync(CreditHolder.Account, CreditOrder.Total, 0, 10);
        var byRecentAverage = await Store.ListCreditStandingsAsync(CreditHolder.Account, CreditOrder.RecentAverage, 0, 10);

        Assert.Equal([("Ada", 300.0), (first.Name, 100.0), (second.Name, 100.0), ("Dee", 50.0)], byTotal.Select(s => (s.Name, s.Credit.Total)));
        Assert.Equal([first.Name, second.Name, "Dee", "Ada"], byRecentAverage.Select(s => s.Name));
        Assert.Equal(new CreditTotalRecord(CreditHolder.Account, bob.Id, 100, 100 * Weight(46), 2, Now), byTotal.Single(s => s.Name == "Bob").Credit);
        Assert.Equal([second.Name, "Dee"],
            (await Store.ListCreditStandingsAsync(CreditHolder.Account, CreditOrder.Total, 2, 2)).Select(s => s.Name));
        Assert.Empty(await Store.ListCreditStandingsAsync(CreditHolder.Account, CreditOrder.Total, 4, 2));

        var hosts = await Store.ListCreditStandingsAsync(CreditHolder.Host, CreditOrder.Total, 0, 10);
        Assert.Equal(
            [("analytical engine", 300.0), ("cy's box", 100.0), ("laptop", 60.0), ("dee's box", 50.0), ("desktop", 40.0)],
            hosts.Select(s => (s.Name, s.Credit.Total)));
        Assert.Equal(["cy's box", "laptop", "desktop"],
            (await Store.ListCreditStandingsAsync(CreditHolder.Host, CreditOrder.RecentAverage, 0, 3)).Select(s => s.Name));
    }

    [Fact]
    public async Task An_accounts_hosts_are_listed_oldest_first()
    {
        var account = Account("Ada");
        var hosts = Enumerable.Range(0, 4).Select(i => Host(account, $"host {i}") with { CreatedAt = Now.AddMinutes(-i) }).ToList();
        await Commit(b =>
        {
            b.Accounts.Add(account);
            b.Workers.AddRange(hosts);
            b.Workers.Add(Host(Account("someone else"), "not hers"));
        });

        Assert.Equal(["host 3", "host 2", "host 1", "host 0"], (await Store.ListAccountWorkersAsync(account.Id, 10)).Select(w => w.Name));
        Assert.Equal([hosts[3], hosts[2]], await Store.ListAccountWorkersAsync(account.Id, 2));
        Assert.Empty(await Store.ListAccountWorkersAsync(Guid.NewGuid(), 10));
    }

    [Fact]
    public async Task Flagged_hosts_are_listed_newest_first_a_page_at_a_time_and_a_later_flag_replaces_the_earlier()
    {
        var (w1, w2, w3) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await Commit(b => b.HostFlags.AddRange(
        [
            Flag(w1, "primes", Now, 900),
            Flag(w2, "primes", Now.AddMinutes(1), 800),
            Flag(w1, "mersenne", Now.AddMinutes(1), 700),
            Flag(w3, "primes", Now.AddMinutes(1), 600),
            Flag(w3, "mersenne", Now.AddMinutes(2), 500),
        ]));
        var again = Flag(w1, "primes", Now.AddMinutes(3), 1200) with { Reason = "flagged again" };
        await Commit(b => b.HostFlags.Add(again));
        var flags = new[]
        {
            again, Flag(w2, "primes", Now.AddMinutes(1), 800), Flag(w1, "mersenne", Now.AddMinutes(1), 700),
            Flag(w3, "primes", Now.AddMinutes(1), 600), Flag(w3, "mersenne", Now.AddMinutes(2), 500),
        };
        var expected = flags.OrderByDescending(f => f.FlaggedAt)
            .ThenBy(f => f.WorkerId.ToString(), StringComparer.Ordinal).ThenBy(f => f.App, StringComparer.Ordinal).ToList();

        var seen = new List<HostFlagRecord>();
        HostFlagRecord? after = null;
        for (var page = 0; page < 4; page++)
        {
            var flagsOfPage = await Store.ListHostFlagsAsync(null, 2, after);
            seen.AddRange(flagsOfPage);
            after = flagsOfPage.Count > 0 ? flagsOfPage[^1] : after;
        }

        Assert.Equal(expected, seen);
        Assert.Equal([again, Flag(w1, "mersenne", Now.AddMinutes(1), 700)], await Store.ListHostFlagsAsync(w1, 10));
        Assert.Empty(await Store.ListHostFlagsAsync(Guid.NewGuid(), 10));
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static HostReliabilityRecord Stretch(Guid host, string app, HostTally tally, DateTimeOffset at) => new(host, app, tally, at);

    /// <summary>A week of <see cref="CreditDecay"/>'s time after its origin: its weight is exactly 2^<paramref name="week"/>, so sums are exact.</summary>
    private static DateTimeOffset Week(int week) => CreditDecay.Origin + week * CreditDecay.HalfLife;

    private static double Weight(int week) => Math.Pow(2, week);

    private static CreditEntryRecord Line(Guid account, Guid host, double amount, DateTimeOffset earnedAt, DateTimeOffset at) =>
        new(Guid.NewGuid(), account, host, Guid.NewGuid(), 7, 1, amount, earnedAt, at);

    private static AccountRecord Account(string name) =>
        new(Guid.NewGuid(), name, $"{name}@example.org", $"hash-of-{Guid.NewGuid()}", AccountOrigin.SignedUp, Now);

    private static WorkerRecord Host(AccountRecord account, string name) =>
        new(Guid.NewGuid(), account.Id, name, "hash-of-token", $"public-key-{Guid.NewGuid()}", 4, Now);

    private static HostFlagRecord Flag(Guid host, string app, DateTimeOffset at, double resultsPerHour) =>
        new(host, app, at, resultsPerHour, 120, $"{resultsPerHour} valid results of {app} in an hour; 4 cores compute at most 120");
}

public sealed class SqliteCreditStoreTests : CreditStoreConformance
{
    private readonly SqliteTestStore _store = new("credit");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task<IAsyncDisposable> HoldWritesAsync() => _store.HoldWritesAsync();

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCreditStoreTests(PostgresServer server) : CreditStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task<IAsyncDisposable> HoldWritesAsync() => _store.HoldWritesAsync("host_reliability, credit_ledger, credit_totals");

    protected override Task DropStoreAsync() => _store.DropAsync();
}

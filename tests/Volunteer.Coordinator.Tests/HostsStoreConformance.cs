using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must keep and answer for the dashboard: when hosts last synced, who was active
/// since a time, the Hosts page's keyset-paged list, and the overview's totals of all jobs.
/// </summary>
public abstract class HostsStoreConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Hosts_synced_since_a_time_are_counted_with_their_accounts_and_cores()
    {
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var laptop = Worker(alice, "laptop", cores: 4);
        var desktop = Worker(alice, "desktop", cores: 16);
        var server = Worker(bob, "server", cores: 64);
        var idle = Worker(bob, "idle", cores: 8);
        await Commit(b => b.Workers.AddRange([laptop, desktop, server, idle]));

        await Store.MarkHostsSyncedAsync(
        [
            new HostSynced(laptop.Id, Now.AddMinutes(-1)),
            new HostSynced(desktop.Id, Now.AddHours(-3)),
            new HostSynced(server.Id, Now.AddSeconds(-30)),
            new HostSynced(Guid.NewGuid(), Now),   // no such host: skipped
        ]);

        Assert.Equal(new HostActivityCount(2, 2, 68), await Store.CountHostsActiveAsync(Now.AddMinutes(-5)));
        Assert.Equal(new HostActivityCount(3, 2, 84), await Store.CountHostsActiveAsync(Now.AddDays(-1)));
        Assert.Equal(new HostActivityCount(1, 1, 64), await Store.CountHostsActiveAsync(Now.AddSeconds(-30)));
        Assert.Equal(new HostActivityCount(0, 0, 0), await Store.CountHostsActiveAsync(Now.AddSeconds(1)));
    }

    [Fact]
    public async Task A_hosts_last_sync_only_moves_forward()
    {
        var host = Worker(Guid.NewGuid(), "laptop");
        await Commit(b => b.Workers.Add(host));

        await Store.MarkHostsSyncedAsync([new HostSynced(host.Id, Now)]);
        // A silo whose flush was late, or whose clock is behind, tells an older sync afterwards.
        await Store.MarkHostsSyncedAsync([new HostSynced(host.Id, Now.AddMinutes(-10))]);

        Assert.Equal(Now, Assert.Single(await Store.ListHostsAsync(10)).LastSyncedAt);
        await Store.MarkHostsSyncedAsync([new HostSynced(host.Id, Now.AddMinutes(1))]);
        Assert.Equal(Now.AddMinutes(1), Assert.Single(await Store.ListHostsAsync(10)).LastSyncedAt);
    }

    [Fact]
    public async Task A_host_listed_twice_in_one_call_keeps_the_later_time()
    {
        var host = Worker(Guid.NewGuid(), "laptop");
        await Commit(b => b.Workers.Add(host));

        // Two silos' batches merged by a caller, say: one statement may change a row only once, so the store must pick.
        await Store.MarkHostsSyncedAsync([new HostSynced(host.Id, Now), new HostSynced(host.Id, Now.AddMinutes(2)), new HostSynced(host.Id, Now.AddMinutes(1))]);

        Assert.Equal(Now.AddMinutes(2), Assert.Single(await Store.ListHostsAsync(10)).LastSyncedAt);
    }

    [Fact]
    public async Task Many_hosts_are_marked_in_one_call()
    {
        var account = Guid.NewGuid();
        var hosts = Enumerable.Range(0, 1_203).Select(i => Worker(account, $"host-{i}")).ToList();
        await Commit(b => b.Workers.AddRange(hosts));

        await Store.MarkHostsSyncedAsync([.. hosts.Select((h, i) => new HostSynced(h.Id, Now.AddSeconds(-i)))]);

        Assert.Equal(new HostActivityCount(1_203, 1, 1_203), await Store.CountHostsActiveAsync(Now.AddHours(-1)));
        Assert.Equal(new HostActivityCount(101, 1, 101), await Store.CountHostsActiveAsync(Now.AddSeconds(-100)));
        Assert.Equal(hosts.Take(3).Select(h => h.Id), (await Store.ListHostsAsync(3)).Select(h => h.WorkerId));
    }

    [Fact]
    public async Task Hosts_are_listed_most_recently_seen_first_a_page_at_a_time()
    {
        var account = new AccountRecord(Guid.NewGuid(), "alice", "alice@example.org", "hash", AccountOrigin.SignedUp, Now.AddDays(-9));
        // Attached at different times; the two never synced are seen as of their attach.
        var a = Worker(account.Id, "a", createdAt: Now.AddDays(-5));
        var b = Worker(account.Id, "b", createdAt: Now.AddDays(-4));
        var c = Worker(account.Id, "c", createdAt: Now.AddHours(-2));
        var d = Worker(account.Id, "d", createdAt: Now.AddDays(-3));
        var e = Worker(Guid.NewGuid(), "e", createdAt: Now.AddDays(-6));
        await Commit(batch =>
        {
            batch.Accounts.Add(account);
            batch.Workers.AddRange([a, b, c, d, e]);
        });
        // Two synced in the same second: ordered by id among themselves.
        var (first, second) = string.CompareOrdinal(a.Id.ToString(), b.Id.ToString()) > 0 ? (a, b) : (b, a);
        await Store.MarkHostsSyncedAsync([new HostSynced(a.Id, Now), new HostSynced(b.Id, Now), new HostSynced(d.Id, Now.AddHours(-1))]);

        var expected = new[] { first.Id, second.Id, d.Id, c.Id, e.Id };
        Assert.Equal(expected, (await Store.ListHostsAsync(10)).Select(h => h.WorkerId));
        var paged = new List<Guid>();
        (DateTimeOffset, Guid)? after = null;
        while (true)
        {
            var page = await Store.ListHostsAsync(2, after);
            paged.AddRange(page.Select(h => h.WorkerId));
            if (page.Count < 2)
            {
                break;
            }
            after = (page[^1].LastSeenAt, page[^1].WorkerId);
        }
        Assert.Equal(expected, paged);

        var listed = (await Store.ListHostsAsync(10)).ToDictionary(h => h.WorkerId);
        Assert.Equal(new HostListing(c.Id, "c", account.Id, "alice", 1, c.CreatedAt, null, HostTally.None, false), listed[c.Id]);
        Assert.Equal(c.CreatedAt, listed[c.Id].LastSeenAt);
        Assert.Null(listed[e.Id].AccountName);
        Assert.Equal(Now, listed[a.Id].LastSyncedAt);
    }

    [Fact]
    public async Task A_listed_hosts_record_is_summed_over_its_apps_and_says_whether_it_is_flagged()
    {
        var account = Guid.NewGuid();
        var (honest, flagged) = (Worker(account, "honest"), Worker(account, "flagged"));
        await Commit(b =>
        {
            b.Workers.AddRange([honest, flagged]);
            b.Reliability.AddRange(
            [
                new HostReliabilityRecord(honest.Id, "primes", new HostTally(10, 1, 2, 3, 7, 100, 10), Now),
                new HostReliabilityRecord(honest.Id, "motifs", new HostTally(5, 0, 0, 1, 5, 50, 5), Now),
                new HostReliabilityRecord(flagged.Id, "primes", new HostTally(40, 0, 0, 0, 40, 40, 40), Now),
            ]);
            b.HostFlags.Add(new HostFlagRecord(flagged.Id, "primes", Now, 400, 40, "too many results for its cores"));
        });

        var listed = (await Store.ListHostsAsync(10)).ToDictionary(h => h.WorkerId);

        Assert.Equal(new HostTally(15, 1, 2, 4, 5, 150, 15), listed[honest.Id].Record);
        Assert.False(listed[honest.Id].Flagged);
        Assert.Equal(new HostTally(40, 0, 0, 0, 40, 40, 40), listed[flagged.Id].Record);
        Assert.True(listed[flagged.Id].Flagged);
    }

    [Fact]
    public async Task Job_totals_sum_every_jobs_assimilated_units_and_the_relay_of_jobs_not_running()
    {
        Assert.Equal(new JobTotals(0, JobRelay.None), await Store.SumJobsAsync());

        var running = Job(JobState.Running, assimilated: 7);
        var completed = Job(JobState.Completed, assimilated: 100);
        var cancelled = Job(JobState.Cancelled, assimilated: 3);
        await Commit(b =>
        {
            b.Jobs.AddRange([running, completed, cancelled]);
            b.Relay.AddRange(
            [
                new JobRelayRecord(running.Id, new JobRelay(1_000, 9_000, 1, 1, 1)),
                new JobRelayRecord(completed.Id, new JobRelay(4_000, 6_000, 2, 3, 4)),
                new JobRelayRecord(cancelled.Id, new JobRelay(500, 0, 0, 0, 1)),
            ]);
        });

        Assert.Equal(new JobTotals(110, new JobRelay(4_500, 6_000, 2, 3, 5)), await Store.SumJobsAsync());
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static WorkerRecord Worker(Guid accountId, string name, int cores = 1, DateTimeOffset? createdAt = null) =>
        new(Guid.NewGuid(), accountId, name, "hash", $"key-{Guid.NewGuid()}", cores, createdAt ?? Now.AddDays(-1));

    private static JobRecord Job(JobState state, long assimilated) => new(Guid.NewGuid(), "primes", "{}", new Redundancy(2, 2, 3, 6),
        3600, 0, 1_000, assimilated, assimilated, 0, state, "{}", null, Now, state == JobState.Running ? null : Now);
}

public sealed class SqliteHostsStoreTests : HostsStoreConformance
{
    private readonly SqliteTestStore _store = new("hosts");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresHostsStoreTests(PostgresServer server) : HostsStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task DropStoreAsync() => _store.DropAsync();
}

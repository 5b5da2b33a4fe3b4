using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must keep of scientists' app versions: each written once (a second registration of
/// a name and version is refused, racing ones included), found, listed latest first, each app's latest listed; their
/// modules needed for good; and the fuel each replica's report told.
/// </summary>
public abstract class AppsStoreConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_version_round_trips_and_a_second_one_of_its_name_and_version_is_refused()
    {
        var version = Version("integral", "1.0.0", Digest('a'), Now) with
        {
            Comparator = new AppComparator(ComparatorKind.Tolerance, 1e-12, 1e-9),
            Credit = new AppCredit(PerMillionFuel: 0.25),
            Reducer = Digest('b'),
        };

        Assert.True(await Store.AddAppVersionAsync(version));
        Assert.False(await Store.AddAppVersionAsync(Version("integral", "1.0.0", Digest('c'), Now.AddMinutes(1))));

        Assert.Equal(version, await Store.FindAppVersionAsync("integral", "1.0.0"));
        Assert.Null(await Store.FindAppVersionAsync("integral", "1.0.1"));
        Assert.Null(await Store.FindAppVersionAsync("Integral", "1.0.0"));
        Assert.Equal([version], await Store.ListAppVersionsAsync("integral", 10));
    }

    [Fact]
    public async Task Of_registrations_racing_for_one_version_exactly_one_is_recorded()
    {
        var racing = Enumerable.Range(0, 8).Select(i => Version("race", "2", Digest((char)('0' + i)), Now.AddSeconds(i))).ToList();

        var added = await Task.WhenAll(racing.Select(v => Store.AddAppVersionAsync(v)));

        var winner = Assert.Single(racing.Where((_, i) => added[i]));
        Assert.Equal(winner, await Store.FindAppVersionAsync("race", "2"));
    }

    [Fact]
    public async Task Versions_are_listed_latest_first_and_each_apps_latest_by_name()
    {
        var first = Version("nbody", "1.0", Digest('1'), Now);
        var second = Version("nbody", "0.9-fix", Digest('2'), Now.AddMinutes(1));
        var third = Version("nbody", "2.0", Digest('3'), Now.AddMinutes(2));
        var other = Version("alpha", "1", Digest('4'), Now.AddMinutes(-5));
        foreach (var version in new[] { second, first, other, third })
        {
            Assert.True(await Store.AddAppVersionAsync(version));
        }

        Assert.Equal([third, second, first], await Store.ListAppVersionsAsync("nbody", 10));
        Assert.Equal([third], await Store.ListAppVersionsAsync("nbody", 1));
        Assert.Empty(await Store.ListAppVersionsAsync("nothing", 10));
        Assert.Equal([other, third], await Store.ListAppsAsync(10));
        Assert.Equal([other], await Store.ListAppsAsync(1));
    }

    [Fact]
    public async Task A_registered_versions_module_and_reducer_are_needed_for_good()
    {
        var (module, reducer, nobodys) = (Digest('d'), Digest('e'), Digest('f'));
        Assert.False(await Store.IsBlobNeededAsync(module));

        Assert.True(await Store.AddAppVersionAsync(Version("folding", "1", module, Now) with { Reducer = reducer }));

        Assert.True(await Store.IsBlobNeededAsync(module));
        Assert.True(await Store.IsBlobNeededAsync(reducer));
        Assert.False(await Store.IsBlobNeededAsync(nobodys));
    }

    [Fact]
    public async Task A_replicas_fuel_round_trips_and_is_null_until_told()
    {
        var job = new JobRecord(Guid.NewGuid(), "integral@1.0.0", "{}", new Redundancy(2, 2, 3, 6), 3600, 0, 1, 0, 0, 0,
            JobState.Running, "[]", null, Now, null);
        var unsent = new ReplicaRecord(job.Id, 0, 0, ReplicaState.Unsent, null, null, null, null, null, null, 0, null, null);
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.Add(new UnitRecord(job.Id, 0, "{}", UnitState.InProgress, 2, null));
            b.Replicas.AddRange([unsent, unsent with { Replica = 1 }]);
        });
        Assert.Null((await Store.FindReplicaAsync(unsent.Ref))!.Fuel);

        var reported = unsent with
        {
            State = ReplicaState.Reported, WorkerId = Guid.NewGuid(), IssuedAt = Now, Deadline = Now.AddHours(1), ReportedAt = Now.AddMinutes(1),
            Outcome = ReportOutcome.Success, Digest = Digest('9'), Size = 8, Payload = new byte[8], Fuel = 99_999_999_999,
        };
        await Commit(b => b.Replicas.Add(reported));

        Assert.Equal(99_999_999_999, (await Store.FindReplicaAsync(reported.Ref))!.Fuel);
        Assert.Null((await Store.FindReplicaAsync(unsent.Ref with { Replica = 1 }))!.Fuel);
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static AppVersionView Version(string name, string version, string module, DateTimeOffset registeredAt) =>
        new(name, version, module, 4096, new AppComparator(ComparatorKind.Bitwise), new AppCredit(PerUnit: 1),
            new AppLimits(64L * 1024 * 1024, 100_000_000_000), null, "c2lnbmF0dXJl", registeredAt);

    private static string Digest(char hex) => "sha256:" + new string(hex, 64);
}

public sealed class SqliteAppsStoreTests : AppsStoreConformance
{
    private readonly SqliteTestStore _store = new("apps");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAppsStoreTests(PostgresServer server) : AppsStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task DropStoreAsync() => _store.DropAsync();
}

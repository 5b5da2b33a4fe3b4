using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must answer for the dashboard's volunteer and cluster pages: a holder's ledger
/// added up per stretch of time (credit over time), and a probe of the store itself.
/// </summary>
public abstract class VolunteersStoreConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>What the store calls its engine.</summary>
    protected abstract string Kind { get; }

    [Fact]
    public async Task A_holders_ledger_adds_up_per_stretch_of_the_window_it_was_written_in()
    {
        var (account, laptop, desktop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var nine = Now.AddHours(-3);
        await Commit(b => b.Credits.AddRange(
        [
            Line(account, laptop, 100, nine.AddTicks(-10)),          // before the window
            Line(account, laptop, 1.5, nine),                        // on its first stretch's start
            Line(account, laptop, 2, nine.AddHours(1).AddTicks(-10)), // the last microsecond of the first stretch
            Line(account, desktop, 4, nine.AddHours(1).AddTicks(10)),
            Line(account, laptop, -1.5, nine.AddHours(1.5)),         // taken back: less credit, one result fewer
            Line(account, desktop, 8, nine.AddHours(4).AddSeconds(-1)),
            Line(account, laptop, 16, nine.AddHours(4)),             // the window's end is not in it
            Line(Guid.NewGuid(), laptop, 32, nine.AddMinutes(30)),   // another account's line, on the same host
        ]));

        Assert.Equal(
            [new(nine, 3.5, 2), new(nine.AddHours(1), 2.5, 0), new(nine.AddHours(3), 8, 1)],
            await Store.ListCreditBucketsAsync(CreditHolder.Account, account, nine, Hour, 4));
        Assert.Equal(
            [new(nine, 35.5, 3), new(nine.AddHours(1), -1.5, -1)],
            await Store.ListCreditBucketsAsync(CreditHolder.Host, laptop, nine, Hour, 4));
        Assert.Equal(
            [new(nine.AddHours(1), 4, 1), new(nine.AddHours(3), 8, 1)],
            await Store.ListCreditBucketsAsync(CreditHolder.Host, desktop, nine, Hour, 4));
        Assert.Empty(await Store.ListCreditBucketsAsync(CreditHolder.Account, Guid.NewGuid(), nine, Hour, 4));
    }

    [Fact]
    public async Task Stretches_of_a_day_start_at_the_windows_start()
    {
        var account = Guid.NewGuid();
        var host = Guid.NewGuid();
        var from = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        await Commit(b => b.Credits.AddRange(
        [
            Line(account, host, 1, from.AddHours(23.5)),
            Line(account, host, 2, from.AddDays(1)),
            Line(account, host, 4, from.AddDays(1).AddHours(12)),
            Line(account, host, 8, from.AddDays(5).AddMinutes(1)),
        ]));

        Assert.Equal(
            [new(from, 1, 1), new(from.AddDays(1), 6, 2), new(from.AddDays(5), 8, 1)],
            await Store.ListCreditBucketsAsync(CreditHolder.Account, account, from, TimeSpan.FromDays(1), 6));
        // A window of one stretch, and a window that starts mid-way (its stretches start with it, not on the day).
        Assert.Equal([new(from.AddDays(1), 6, 2)],
            await Store.ListCreditBucketsAsync(CreditHolder.Account, account, from.AddDays(1), TimeSpan.FromDays(1), 1));
        Assert.Equal([new(from.AddHours(12), 3, 2), new(from.AddDays(1).AddHours(12), 4, 1)],
            await Store.ListCreditBucketsAsync(CreditHolder.Account, account, from.AddHours(12), TimeSpan.FromDays(1), 2));
    }

    [Fact]
    public async Task A_window_is_whole_seconds_and_at_least_one_stretch()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Store.ListCreditBucketsAsync(CreditHolder.Account, Guid.NewGuid(), Now, TimeSpan.FromMilliseconds(1500), 4));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Store.ListCreditBucketsAsync(CreditHolder.Account, Guid.NewGuid(), Now, TimeSpan.Zero, 4));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Store.ListCreditBucketsAsync(CreditHolder.Account, Guid.NewGuid(), Now, Hour, 0));
    }

    [Fact]
    public async Task The_probe_names_the_engine_and_times_a_query()
    {
        var probe = await Store.ProbeAsync();

        Assert.Equal(Kind, probe.Kind);
        Assert.Matches(@"^\d+\.\d+", probe.Version);
        Assert.True(probe.SizeBytes > 0, $"size {probe.SizeBytes}");
        Assert.True(probe.RoundTrip > TimeSpan.Zero, $"round trip {probe.RoundTrip}");
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static CreditEntryRecord Line(Guid account, Guid host, double amount, DateTimeOffset writtenAt) =>
        new(Guid.NewGuid(), account, host, Guid.NewGuid(), 7, 1, amount, writtenAt, writtenAt);
}

public sealed class SqliteVolunteersStoreTests : VolunteersStoreConformance
{
    private readonly SqliteTestStore _store = new("volunteers");

    protected override string Kind => "SQLite";

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresVolunteersStoreTests(PostgresServer server) : VolunteersStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override string Kind => "PostgreSQL";

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task DropStoreAsync() => _store.DropAsync();
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Dashboard.Hosts;
using Volunteer.Coordinator.Presence;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Tests;

/// <summary>When hosts last synced: kept at most once a throttle (two minutes) per host, written only when flushed, and on stop.</summary>
public sealed class HostPresenceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly SqliteTestStore _files = new("presence");
    private readonly FakeTimeProvider _time = new(Start);
    private IWorkStore _store = null!;
    private HostPresence _presence = null!;

    public async Task InitializeAsync()
    {
        _store = _files.Create();
        await _store.InitializeAsync(CancellationToken.None);
        _presence = new HostPresence(_store, _time, NullLogger<HostPresence>.Instance);
    }

    public async Task DisposeAsync()
    {
        _presence.Dispose();
        await ((IAsyncDisposable)_store).DisposeAsync();
        _files.Drop();
    }

    [Fact]
    public async Task Syncs_are_written_only_when_flushed()
    {
        var (a, b) = (await AttachAsync("a"), await AttachAsync("b"));

        _presence.Synced(a);
        _time.Advance(TimeSpan.FromSeconds(3));
        _presence.Synced(b);
        Assert.Null(await LastSyncedAsync(a));

        await _presence.FlushAsync(CancellationToken.None);

        Assert.Equal(Start, await LastSyncedAsync(a));
        Assert.Equal(Start.AddSeconds(3), await LastSyncedAsync(b));
    }

    [Fact]
    public async Task A_host_is_kept_at_most_once_a_throttle()
    {
        var host = await AttachAsync("laptop");
        _presence.Synced(host);
        await _presence.FlushAsync(CancellationToken.None);

        // Syncing every five seconds: none of these is kept...
        for (var i = 0; i < 23; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            _presence.Synced(host);
        }
        await _presence.FlushAsync(CancellationToken.None);
        Assert.Equal(Start, await LastSyncedAsync(host));

        // ...until two minutes have passed since the one that was.
        _time.Advance(TimeSpan.FromSeconds(5));
        _presence.Synced(host);
        await _presence.FlushAsync(CancellationToken.None);
        Assert.Equal(Start.AddMinutes(2), await LastSyncedAsync(host));
    }

    [Fact]
    public async Task A_host_syncing_about_once_a_minute_never_shows_offline_and_is_written_every_second_or_third_sync()
    {
        var host = await AttachAsync("laptop");
        var random = new Random(15);
        var writes = 0;
        DateTimeOffset? stored = null;
        for (var sync = 0; sync < 200; sync++)
        {
            _presence.Synced(host);
            await _presence.FlushAsync(CancellationToken.None);
            var now = await LastSyncedAsync(host);
            writes += now != stored ? 1 : 0;
            stored = now;
            // The agent's interval: a minute, ±20%; just before the next sync the stored time is at its oldest.
            _time.Advance(TimeSpan.FromSeconds(60 * (0.8 + 0.4 * random.NextDouble())));
            Assert.True(_time.GetUtcNow() - stored!.Value < HostsData.Online, $"Shown offline at sync {sync}.");
        }
        Assert.InRange(writes, 200 / 3, 200 / 2);
    }

    [Fact]
    public async Task Stopping_writes_what_was_kept_since_the_last_flush()
    {
        var host = await AttachAsync("laptop");
        await _presence.StartAsync(CancellationToken.None);
        _presence.Synced(host);

        await _presence.StopAsync(CancellationToken.None);

        Assert.Equal(Start, await LastSyncedAsync(host));
    }

    private async Task<Guid> AttachAsync(string name)
    {
        var worker = new WorkerRecord(Guid.NewGuid(), Guid.NewGuid(), name, "hash", $"key-{Guid.NewGuid()}", 2, Start.AddDays(-1));
        var batch = new WorkBatch();
        batch.Workers.Add(worker);
        await _store.CommitAsync(batch);
        return worker.Id;
    }

    private async Task<DateTimeOffset?> LastSyncedAsync(Guid workerId) =>
        (await _store.ListHostsAsync(100)).Single(h => h.WorkerId == workerId).LastSyncedAt;
}

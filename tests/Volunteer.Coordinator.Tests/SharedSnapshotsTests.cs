using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Dashboard;

namespace Volunteer.Coordinator.Tests;

public sealed class SharedSnapshotsTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();
    private int _computed;

    [Fact]
    public async Task Viewers_within_the_lifetime_share_one_computation()
    {
        var snapshots = new SharedSnapshots<string, int>(_time, Lifetime, capacity: 8);

        var first = await snapshots.GetAsync("board", Compute, CancellationToken.None);
        _time.Advance(Lifetime - TimeSpan.FromTicks(1));
        var seconds = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => snapshots.GetAsync("board", Compute, CancellationToken.None)));
        _time.Advance(TimeSpan.FromTicks(1));
        var afterTheLifetime = await snapshots.GetAsync("board", Compute, CancellationToken.None);

        Assert.Equal(1, first);
        Assert.All(seconds, value => Assert.Equal(1, value));
        Assert.Equal(2, afterTheLifetime);
    }

    [Fact]
    public async Task Viewers_who_ask_while_it_is_computed_wait_for_that_computation()
    {
        var snapshots = new SharedSnapshots<string, int>(_time, Lifetime, capacity: 8);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;

        var waiting = Enumerable.Range(0, 10)
            .Select(_ => snapshots.GetAsync("board", _ => { calls++; return release.Task; }, CancellationToken.None)).ToList();
        release.SetResult(42);

        Assert.Equal(Enumerable.Repeat(42, 10), await Task.WhenAll(waiting));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_viewer_who_leaves_ends_only_their_wait()
    {
        var snapshots = new SharedSnapshots<string, int>(_time, Lifetime, capacity: 8);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var leaving = new CancellationTokenSource();

        var left = snapshots.GetAsync("board", _ => release.Task, leaving.Token);
        var staying = snapshots.GetAsync("board", _ => release.Task, CancellationToken.None);
        await leaving.CancelAsync();
        release.SetResult(7);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        Assert.Equal(7, await staying);
    }

    [Fact]
    public async Task A_failure_is_shared_for_the_lifetime_then_tried_again()
    {
        var snapshots = new SharedSnapshots<string, int>(_time, Lifetime, capacity: 8);
        var calls = 0;
        Task<int> FailOnce(string _) => ++calls == 1 ? throw new InvalidOperationException("store away") : Task.FromResult(calls);

        await Assert.ThrowsAsync<InvalidOperationException>(() => snapshots.GetAsync("board", FailOnce, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => snapshots.GetAsync("board", FailOnce, CancellationToken.None));
        _time.Advance(Lifetime);

        Assert.Equal(2, await snapshots.GetAsync("board", FailOnce, CancellationToken.None));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task It_keeps_at_most_its_capacity_displacing_the_expired_then_the_oldest()
    {
        var snapshots = new SharedSnapshots<int, int>(_time, Lifetime, capacity: 3);
        for (var page = 0; page < 3; page++)
        {
            await snapshots.GetAsync(page, _ => Task.FromResult(page * 100), CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await snapshots.GetAsync(3, Compute, CancellationToken.None);
        var oldestDisplaced = await snapshots.GetAsync(0, Compute, CancellationToken.None);
        var youngerKept = await snapshots.GetAsync(2, Compute, CancellationToken.None);
        _time.Advance(Lifetime);
        for (var page = 10; page < 1000; page++)
        {
            await snapshots.GetAsync(page, _ => Task.FromResult(page), CancellationToken.None);
        }

        Assert.Equal(2, oldestDisplaced);
        Assert.Equal(200, youngerKept);
        Assert.Equal(3, snapshots.Count);
    }

    private Task<int> Compute<TKey>(TKey key) => Task.FromResult(++_computed);
}

using Volunteer.Dashboard.Components.Shared;

namespace Volunteer.Dashboard.Tests.Shared;

public sealed class ChartUpdatesTests
{
    [Fact]
    public async Task An_update_the_browser_draws_is_sent()
    {
        var updates = new ChartUpdates();
        var sent = 0;

        Assert.True(await updates.TrySendAsync(_ => { sent++; return Task.CompletedTask; }));
        Assert.True(await updates.TrySendAsync(_ => { sent++; return Task.CompletedTask; }));
        Assert.Equal(2, sent);
    }

    [Fact]
    public async Task While_one_update_waits_to_be_drawn_the_next_is_not_sent()
    {
        var updates = new ChartUpdates(TimeSpan.FromMinutes(1));
        var drawn = new TaskCompletionSource();
        var first = updates.TrySendAsync(_ => drawn.Task);
        var secondSent = false;

        Assert.False(await updates.TrySendAsync(_ => { secondSent = true; return Task.CompletedTask; }));
        Assert.False(secondSent);

        drawn.SetResult();
        Assert.True(await first);
        Assert.True(await updates.TrySendAsync(_ => Task.CompletedTask));
    }

    [Fact]
    public async Task An_update_a_background_tab_never_draws_is_given_up_and_the_next_one_goes()
    {
        var updates = new ChartUpdates(TimeSpan.FromMilliseconds(50));
        CancellationToken given = default;

        Assert.False(await updates.TrySendAsync(token => { given = token; return Task.Delay(Timeout.Infinite, token); }));
        Assert.True(given.IsCancellationRequested);
        Assert.True(await updates.TrySendAsync(_ => Task.CompletedTask));
    }
}

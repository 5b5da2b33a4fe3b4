using Microsoft.Extensions.Time.Testing;
using Volunteer.Worker.Peers;

namespace Volunteer.Worker.Tests.Peers;

public sealed class UploadBudgetTests
{
    private readonly FakeTimeProvider _time = new(AgentUnderTest.StartTime);

    [Fact]
    public async Task A_full_bucket_grants_one_seconds_worth_at_once_and_a_taker_beyond_it_waits_until_its_debt_is_paid()
    {
        var budget = new UploadBudget(1000, _time);

        await budget.TakeAsync(1000, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        var waiting = budget.TakeAsync(500, CancellationToken.None);
        var after = budget.TakeAsync(250, CancellationToken.None);

        Assert.Equal(-750, budget.Tokens, precision: 6);
        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        // Takers are served in the order they asked: the second waits for the first's debt and its own.
        Assert.False(after.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(250));
        await after.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1750, budget.Granted);
    }

    [Fact]
    public void The_bucket_refills_at_the_cap_and_holds_no_more_than_one_second_of_it()
    {
        var budget = new UploadBudget(1000, _time);
        _ = budget.TakeAsync(1000, CancellationToken.None);

        _time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(300, budget.Tokens, precision: 6);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1000, budget.Tokens, precision: 6);
    }

    [Fact]
    public async Task Without_a_cap_everything_is_granted_at_once_and_still_counted()
    {
        var budget = new UploadBudget(0, _time);

        await budget.TakeAsync(int.MaxValue, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        await budget.TakeAsync(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(int.MaxValue + 1L, budget.Granted);
    }

    [Fact]
    public async Task A_copy_takes_every_piece_it_writes_from_the_bucket_and_waits_when_it_is_empty()
    {
        var budget = new UploadBudget(UploadBudget.Piece, _time);
        using var destination = new MemoryStream();

        var copy = budget.CopyAsync(new MemoryStream(new byte[3 * UploadBudget.Piece]), destination, CancellationToken.None);
        // The first piece empties the bucket; the second waits for it to fill.
        await Eventually(() => budget.Tokens < 0);
        Assert.False(copy.IsCompleted);
        for (var second = 0; second < 100 && !copy.IsCompleted; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(copy, Task.Delay(5));
        }
        await copy.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((3L * UploadBudget.Piece, 3L * UploadBudget.Piece), (budget.Granted, destination.Length));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, deadline.Token);
        }
    }
}

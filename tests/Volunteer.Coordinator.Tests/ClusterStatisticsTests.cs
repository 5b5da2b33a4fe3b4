using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Grains;

namespace Volunteer.Coordinator.Tests;

/// <summary>The ring of per-second counts behind the overview's results per second, and the cluster's grain that keeps it.</summary>
public sealed class ClusterStatisticsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long First = Start.ToUnixTimeSeconds();

    [Fact]
    public void A_new_ring_knows_no_second()
    {
        var ring = new SecondRing();

        Assert.True(ring.IsEmpty);
        Assert.Equal(SecondCounts.None, ring.After(0, long.MaxValue));
        Assert.Equal(0, ring[First]);
    }

    [Fact]
    public void Counts_of_a_second_add_up_and_seconds_skipped_are_zero()
    {
        var ring = new SecondRing();
        ring.Add(First, 3);
        ring.Add(First, 4);
        ring.Add(First + 3, 5);

        var counts = ring.After(0, long.MaxValue);

        Assert.Equal(First, counts.FirstSecond);
        Assert.Equal([7, 0, 0, 5], counts.Counts);
        Assert.Equal(First + 3, counts.LastSecond);
    }

    [Fact]
    public void The_ring_holds_the_last_hour_and_forgets_what_is_older()
    {
        var ring = new SecondRing();
        for (var s = 0; s < 5_000; s++)
        {
            ring.Add(First + s, s);
        }

        var counts = ring.After(0, long.MaxValue);

        Assert.Equal(SecondRing.Hour, counts.Counts.Length);
        Assert.Equal(First + 5_000 - SecondRing.Hour, counts.FirstSecond);
        Assert.Equal(Enumerable.Range(5_000 - SecondRing.Hour, SecondRing.Hour).Select(s => (long)s), counts.Counts);
        // A count for a second older than the hour is dropped rather than added to the wrong slot.
        ring.Add(First, 1_000_000);
        Assert.Equal(counts.Counts, ring.After(0, long.MaxValue).Counts);
    }

    [Fact]
    public void A_jump_of_more_than_an_hour_clears_the_ring()
    {
        var ring = new SecondRing();
        ring.Add(First, 9);
        ring.Add(First + 10_000, 1);

        var counts = ring.After(0, long.MaxValue);

        Assert.Equal(First + 10_000 - SecondRing.Hour + 1, counts.FirstSecond);
        Assert.Equal(1, counts.Counts.Sum());
        Assert.Equal(1, counts.Counts[^1]);
    }

    [Fact]
    public void After_hands_out_only_the_seconds_asked_for()
    {
        var ring = new SecondRing();
        for (var s = 0; s < 10; s++)
        {
            ring.Add(First + s, s + 1);
        }

        AssertCounts(First + 5, [6, 7, 8], ring.After(First + 4, First + 7));
        Assert.Equal(SecondCounts.None, ring.After(First + 9, long.MaxValue));
        Assert.Equal(SecondCounts.None, ring.After(First + 4, First + 4));
    }

    [Fact]
    public void A_copy_takes_the_sums_it_is_handed_second_by_second()
    {
        var cluster = new SecondRing();
        var copy = new SecondRing();
        cluster.Add(First, 2);
        cluster.Add(First + 1, 3);
        copy.Set(cluster.After(copy.LastSecond, First + 1));
        cluster.Add(First + 2, 4);
        cluster.Add(First + 4, 5);
        copy.Set(cluster.After(copy.LastSecond, First + 4));

        AssertCounts(First, [2, 3, 4, 0, 5], copy.After(0, long.MaxValue));
    }

    [Fact]
    public async Task The_grain_sums_every_silos_counts_by_its_own_clock_and_hands_out_complete_seconds()
    {
        var time = new FakeTimeProvider(Start);
        var grain = new ClusterStatisticsGrain(time);

        // Nothing is complete in the grain's first second.
        Assert.Empty((await grain.ExchangeAsync(5, 0)).Counts);
        Assert.Empty((await grain.ExchangeAsync(7, 0)).Counts);
        time.Advance(TimeSpan.FromSeconds(1));
        var silo1 = await grain.ExchangeAsync(1, 0);
        var silo2 = await grain.ExchangeAsync(2, 0);

        AssertCounts(First, [12], silo1);
        AssertCounts(First, [12], silo2);
        // A silo that was away for a while catches up on every second since the last it heard of, and only those.
        time.Advance(TimeSpan.FromSeconds(3));
        AssertCounts(First + 1, [3, 0, 0], await grain.ExchangeAsync(0, silo1.LastSecond));
        Assert.Empty((await grain.ExchangeAsync(-4, First + 3)).Counts);
    }

    [Fact]
    public async Task The_grain_hands_a_silo_that_asks_from_nothing_the_last_hour()
    {
        var time = new FakeTimeProvider(Start);
        var grain = new ClusterStatisticsGrain(time);
        for (var s = 0; s < 2 * SecondRing.Hour; s++)
        {
            await grain.ExchangeAsync(1, long.MaxValue);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var hour = await grain.ExchangeAsync(0, 0);

        Assert.Equal(SecondRing.Hour, hour.Counts.Length);
        Assert.All(hour.Counts, count => Assert.Equal(1, count));
        Assert.Equal(First + 2 * SecondRing.Hour - 1, hour.LastSecond);
    }

    private static void AssertCounts(long firstSecond, long[] counts, SecondCounts actual)
    {
        Assert.Equal(firstSecond, actual.FirstSecond);
        Assert.Equal(counts, actual.Counts);
    }
}

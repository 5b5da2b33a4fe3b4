using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Tests.Agent;

public sealed class WorkBufferTests
{
    private static readonly ComputeLimits Buffer100Plus50 = new() { Slots = 4, BufferSeconds = 100, BufferExtraSeconds = 50 };

    [Fact]
    public void Before_any_unit_finished_it_asks_for_one_unit_per_slot_not_held()
    {
        var buffer = new WorkBuffer();

        Assert.Equal(4, buffer.UnitsToAsk([], 0, slots: 4, slotShare: 4, Buffer100Plus50, SyncLimits.Default));
        Assert.Equal(1, buffer.UnitsToAsk([new("a", 0), new("a", 0.5), new("a", 0)], 0, slots: 4, slotShare: 4, Buffer100Plus50, SyncLimits.Default));
    }

    [Fact]
    public void With_units_of_two_seconds_it_fills_the_buffer_to_buffer_plus_extra_seconds_on_its_slots()
    {
        var buffer = new WorkBuffer();
        buffer.Computed("a", TimeSpan.FromSeconds(2));

        // (100 + 50) s × 2 slots / 2 s per unit.
        Assert.Equal(150, buffer.UnitsToAsk([], 0, slots: 4, slotShare: 2, Buffer100Plus50, SyncLimits.Default with { MaxUnitsPerSync = 1000 }));
        // 100 units held, half of one done: 199 s of work, short of 200: top up to 300 s.
        var held = Enumerable.Repeat(new HeldWork("a", 0), 99).Append(new HeldWork("a", 0.5)).ToList();
        Assert.Equal(51, buffer.UnitsToAsk(held, 0, slots: 4, slotShare: 2, Buffer100Plus50, SyncLimits.Default with { MaxUnitsPerSync = 1000 }));
        // 100 whole units: 200 s, the buffer is full.
        Assert.Equal(0, buffer.UnitsToAsk([.. Enumerable.Repeat(new HeldWork("a", 0), 100)], 0, slots: 4, slotShare: 2, Buffer100Plus50, SyncLimits.Default));
    }

    [Fact]
    public void Each_held_unit_counts_at_its_own_apps_average()
    {
        var buffer = new WorkBuffer();
        buffer.Computed("long", TimeSpan.FromSeconds(90));
        buffer.Computed("short", TimeSpan.FromSeconds(1));

        // One long unit (90 s) on one slot is short of 100 s; the overall average is 90 + 0.2 × (1 - 90) = 72.2 s.
        Assert.Equal(1, buffer.UnitsToAsk([new("long", 0)], 0, slots: 1, slotShare: 1, Buffer100Plus50, SyncLimits.Default));
        Assert.Equal(0, buffer.UnitsToAsk([new("long", 0), new("short", 0), new("long", 0.9)], 0, slots: 1, slotShare: 1, Buffer100Plus50, SyncLimits.Default));
        Assert.Equal(90, buffer.SecondsPerUnit("long"));
    }

    [Fact]
    public void It_asks_within_the_coordinators_limits_per_sync_and_in_progress()
    {
        var buffer = new WorkBuffer();
        buffer.Computed("a", TimeSpan.FromMilliseconds(10));
        var held = Enumerable.Repeat(new HeldWork("a", 0), 10).ToList();

        Assert.Equal(64, buffer.UnitsToAsk(held, 0, slots: 4, slotShare: 4, Buffer100Plus50, SyncLimits.Default));
        Assert.Equal(5, buffer.UnitsToAsk(held, 5, slots: 4, slotShare: 4, Buffer100Plus50, SyncLimits.Default with { MaxInProgress = 20 }));
        Assert.Equal(0, buffer.UnitsToAsk(held, 15, slots: 4, slotShare: 4, Buffer100Plus50, SyncLimits.Default with { MaxInProgress = 20 }));
    }

    [Fact]
    public void A_buffer_of_zero_seconds_asks_only_for_free_slots()
    {
        var buffer = new WorkBuffer();
        buffer.Computed("a", TimeSpan.FromMilliseconds(10));

        Assert.Equal(3, buffer.UnitsToAsk([new("a", 0)], 0, slots: 4, slotShare: 4, new ComputeLimits { BufferSeconds = 0 }, SyncLimits.Default));
    }
}

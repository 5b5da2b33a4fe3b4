using Microsoft.Extensions.Time.Testing;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Tests.Agent;

public sealed class SlotPoolTests
{
    private readonly FakeTimeProvider _time = new(AgentUnderTest.StartTime);

    [Fact]
    public async Task Waiting_projects_take_turns_by_compute_seconds_per_share_so_300_to_100_gets_three_to_one()
    {
        var pool = Pool(slots: 1);
        var a = pool.Join("a", 300);
        var b = pool.Join("b", 100);
        var grants = new List<string>();
        // Every unit waits from the start: A's twelve arrive first, then B's twelve.
        var waiting = Enumerable.Range(0, 12).Select(_ => (Name: "a", Slot: pool.AcquireAsync(a, CancellationToken.None)))
            .Concat(Enumerable.Range(0, 12).Select(_ => (Name: "b", Slot: pool.AcquireAsync(b, CancellationToken.None))))
            .ToList();

        for (var unit = 0; unit < 12; unit++)
        {
            var first = await Task.WhenAny(waiting.Select(w => w.Slot)).WaitAsync(TimeSpan.FromSeconds(10));
            var granted = waiting.Single(w => w.Slot == first);
            waiting.Remove(granted);
            grants.Add(granted.Name);
            // Each unit computes one second, then frees its slot for the next.
            _time.Advance(TimeSpan.FromSeconds(1));
            (await granted.Slot).Dispose();
        }

        // Ties go to the unit that waited longest.
        Assert.Equal(["a", "b", "a", "a", "a", "b", "a", "a", "a", "b", "a", "a"], grants);
    }

    [Fact]
    public async Task A_project_with_nothing_waiting_leaves_its_slots_to_the_others()
    {
        var pool = Pool(slots: 3);
        var busy = pool.Join("busy", 100);
        pool.Join("idle", 900);

        var slots = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => pool.AcquireAsync(busy, CancellationToken.None)));

        Assert.Equal(3, pool.Busy);
        var fourth = pool.AcquireAsync(busy, CancellationToken.None);
        // Slots are taken under the pool's lock as they are given: a fourth would show at once.
        Assert.Equal(3, pool.Busy);
        slots[0].Dispose();
        (await fourth).Dispose();
    }

    [Fact]
    public async Task A_change_of_slots_applies_to_the_next_start_and_running_units_are_not_stopped()
    {
        var governor = new ComputeGovernor(new ComputeLimits { Slots = 2 }, _time);
        var pool = new SlotPool(governor, _time);
        var project = pool.Join("p", 100);
        var first = await pool.AcquireAsync(project, CancellationToken.None);
        var second = await pool.AcquireAsync(project, CancellationToken.None);
        var third = pool.AcquireAsync(project, CancellationToken.None);

        governor.Apply(new ComputeLimits { Slots = 3 });
        pool.Recheck();
        var thirdSlot = await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, pool.Busy);

        governor.Apply(new ComputeLimits { Slots = 1 });
        pool.Recheck();
        var fourth = pool.AcquireAsync(project, CancellationToken.None);
        Assert.Equal(3, pool.Busy);
        first.Dispose();
        second.Dispose();
        Assert.Equal(1, pool.Busy);
        thirdSlot.Dispose();
        (await fourth.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public async Task A_unit_cancelled_while_waiting_leaves_the_queue_and_takes_no_slot()
    {
        var pool = Pool(slots: 1);
        var project = pool.Join("p", 100);
        var running = await pool.AcquireAsync(project, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = pool.AcquireAsync(project, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        running.Dispose();
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public async Task No_unit_gets_a_slot_while_the_owner_paused_computing()
    {
        var governor = new ComputeGovernor(new ComputeLimits { Slots = 2 }, _time);
        var pool = new SlotPool(governor, _time);
        var project = pool.Join("p", 100);
        governor.PauseByOwner(null);

        var waiting = pool.AcquireAsync(project, CancellationToken.None);

        Assert.Equal(0, pool.Busy);
        governor.ResumeByOwner();
        (await waiting.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public void A_projects_slot_share_is_its_share_of_all_slots()
    {
        var pool = Pool(slots: 4);
        var a = pool.Join("a", 300);
        var b = pool.Join("b", 100);

        Assert.Equal((3.0, 1.0), (a.SlotShare, b.SlotShare));
    }

    private SlotPool Pool(int slots) => new(new ComputeGovernor(new ComputeLimits { Slots = slots }, _time), _time);
}

using Microsoft.Extensions.Time.Testing;
using Volunteer.Protocol;
using Volunteer.Testing;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Tests.Governor;

public sealed class ComputeGovernorTests : IDisposable
{
    /// <summary>Monday 2026-11-30 10:00 UTC, 12:00 local time in the fixed zone below.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private static readonly TimeZoneInfo PlusTwo = TimeZoneInfo.CreateCustomTimeZone("Test+02", TimeSpan.FromHours(2), "Test+02", "Test+02");

    private static readonly ReplicaRef Unit = new(Guid.Parse("5b0c1f3e-0000-4000-8000-000000000001"), 7, 1);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeMachine _machine = new();
    private readonly List<IDisposable> _disposables = [];

    public ComputeGovernorTests() => _time.SetLocalTimeZone(PlusTwo);

    [Fact]
    public void With_nothing_against_it_units_may_compute()
    {
        var governor = Governor(new ComputeLimits());

        Assert.Empty(governor.PausedBecause);
        Assert.True(governor.WaitUntilMayComputeAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(governor.Throttled);
    }

    [Fact]
    public async Task The_owners_pause_holds_until_resumed()
    {
        var governor = Governor(new ComputeLimits());

        governor.PauseByOwner(null);
        var waiting = governor.WaitUntilMayComputeAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(3));

        Assert.Equal(["paused by the owner"], governor.PausedBecause);
        Assert.False(waiting.IsCompleted);

        governor.ResumeByOwner();

        Assert.Empty(governor.PausedBecause);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_owners_pause_for_a_while_ends_by_itself()
    {
        var governor = Governor(new ComputeLimits());

        governor.PauseByOwner(TimeSpan.FromMinutes(30));
        var waiting = governor.WaitUntilMayComputeAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));

        Assert.Equal(["paused by the owner until 12:30"], governor.PausedBecause);
        Assert.False(waiting.IsCompleted);

        _time.Advance(ComputeGovernor.RecheckInterval);

        Assert.Empty(governor.PausedBecause);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Outside_the_compute_windows_units_wait_for_the_next_opening_and_go_on_at_it()
    {
        var governor = Governor(new ComputeLimits { ComputeWindows = "22:00-07:00" });

        Assert.Equal(["outside the compute windows (next 22:00)"], governor.PausedBecause);

        _time.Advance(TimeSpan.FromHours(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(["outside the compute windows (next 22:00)"], governor.PausedBecause);

        _time.Advance(ComputeGovernor.RecheckInterval);
        Assert.Empty(governor.PausedBecause);

        // Past midnight the window still holds, until 07:00.
        _time.Advance(TimeSpan.FromHours(9) - TimeSpan.FromSeconds(1));
        Assert.Empty(governor.PausedBecause);
        _time.Advance(ComputeGovernor.RecheckInterval);
        Assert.Equal(["outside the compute windows (next 22:00)"], governor.PausedBecause);
    }

    [Fact]
    public void A_window_on_another_day_is_named_with_its_day()
    {
        var governor = Governor(new ComputeLimits { ComputeWindows = "Sat-Sun" });

        Assert.Equal(["outside the compute windows (next Sat 00:00)"], governor.PausedBecause);
    }

    [Fact]
    public void New_limits_take_effect_at_once_and_bad_ones_change_nothing()
    {
        var governor = Governor(new ComputeLimits());

        governor.Apply(new ComputeLimits { ComputeWindows = "Mon 13:00-14:00", CpuPercent = 40 });

        Assert.Equal(["outside the compute windows (next 13:00)"], governor.PausedBecause);
        Assert.True(governor.Throttled);

        var bad = new ComputeLimits { ComputeWindows = "Mon 13:00-14:60" };
        Assert.Throws<FormatException>(() => governor.Apply(bad));

        Assert.Equal((40, "Mon 13:00-14:00"), (governor.Limits.CpuPercent, governor.Limits.ComputeWindows));
        Assert.Throws<FormatException>(() => new ComputeGovernor(bad, _time, _machine));
    }

    [Fact]
    public void Recent_input_means_the_machine_is_in_use_until_it_has_been_idle_long_enough()
    {
        _machine.Idle = TimeSpan.FromSeconds(42);
        // Other programs' load is no matter where input idleness is known.
        _machine.Load = 90;
        var governor = Governor(new ComputeLimits { PauseWhenInUse = true, IdleMinutes = 3 });

        Assert.Equal(["the machine is in use (input 0:42 ago)"], governor.PausedBecause);

        _machine.Idle = TimeSpan.FromMinutes(3);
        _time.Advance(ComputeGovernor.RecheckInterval);

        Assert.Empty(governor.PausedBecause);
    }

    [Fact]
    public void Where_input_is_unknown_other_programs_load_above_the_threshold_means_in_use()
    {
        _machine.Load = 63.4;
        var governor = Governor(new ComputeLimits { PauseWhenInUse = true, InUseCpuPercent = 25 });

        Assert.Equal(["the machine is in use (other programs take 63% of the CPU)"], governor.PausedBecause);

        _machine.Load = 25;
        _time.Advance(ComputeGovernor.RecheckInterval);

        Assert.Empty(governor.PausedBecause);
    }

    [Fact]
    public void On_battery_units_pause_and_resume_on_mains()
    {
        _machine.Battery = true;
        var governor = Governor(new ComputeLimits { PauseOnBattery = true });

        Assert.Equal(["on battery"], governor.PausedBecause);

        _machine.Battery = false;
        _time.Advance(ComputeGovernor.RecheckInterval);
        Assert.Empty(governor.PausedBecause);

        // A machine that cannot tell is not held back.
        _machine.Battery = null;
        _time.Advance(ComputeGovernor.RecheckInterval);
        Assert.Empty(governor.PausedBecause);
    }

    [Fact]
    public void Conditions_the_owner_did_not_ask_for_are_not_looked_at()
    {
        (_machine.Idle, _machine.Load, _machine.Battery) = (TimeSpan.Zero, 100, true);
        var governor = Governor(new ComputeLimits { PauseWhenInUse = false, PauseOnBattery = false });
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Empty(governor.PausedBecause);
        Assert.Equal(0, _machine.Asked);
    }

    [Fact]
    public void Every_reason_in_force_is_told()
    {
        (_machine.Idle, _machine.Battery) = (TimeSpan.FromSeconds(5), true);
        var governor = Governor(new ComputeLimits { ComputeWindows = "Tue", PauseWhenInUse = true, PauseOnBattery = true });

        governor.PauseByOwner(TimeSpan.FromHours(1));

        Assert.Equal(
            ["paused by the owner until 13:00", "outside the compute windows (next Tue 00:00)", "the machine is in use (input 0:05 ago)", "on battery"],
            governor.PausedBecause);
    }

    [Fact]
    public async Task A_unit_passing_its_gate_is_held_while_paused_and_goes_on_when_resumed()
    {
        var governor = Governor(new ComputeLimits());
        using var gate = governor.Admit(Unit);
        governor.PauseByOwner(null);

        var passing = Task.Factory.StartNew(() => gate.Pass(CancellationToken.None), TaskCreationOptions.LongRunning);
        await Eventually.UntilAsync("the unit to be held", () => gate.Paused, () => $"pass {passing.Status}", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5));

        governor.ResumeByOwner();

        await passing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(gate.Paused);
        Assert.Equal(Unit, gate.Unit);
    }

    [Fact]
    public async Task A_unit_held_by_a_pause_stops_at_once_when_cancelled()
    {
        var governor = Governor(new ComputeLimits());
        using var gate = governor.Admit(Unit);
        using var stop = new CancellationTokenSource();
        governor.PauseByOwner(null);

        var passing = Task.Factory.StartNew(() => gate.Pass(stop.Token), TaskCreationOptions.LongRunning);
        await Eventually.UntilAsync("the unit to be held", () => gate.Paused, () => $"pass {passing.Status}", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5));
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => passing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["paused by the owner"], governor.PausedBecause);
    }

    [Fact]
    public async Task Waiting_to_compute_ends_when_cancelled()
    {
        var governor = Governor(new ComputeLimits { ComputeWindows = "Sat" });
        using var stop = new CancellationTokenSource();

        var waiting = governor.WaitUntilMayComputeAsync(stop.Token);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Theory]
    [InlineData(0L, 5_000_000_000L, null)]
    [InlineData(512L * 1024 * 1024, null, null)]
    [InlineData(512L * 1024 * 1024, 512L * 1024 * 1024, null)]
    [InlineData(512L * 1024 * 1024, (512L * 1024 * 1024) + 1, "the unit needs 512 MiB of memory, above the owner's limit of 512 MiB per unit")]
    [InlineData(512L * 1024 * 1024, 1536L * 1024 * 1024, "the unit needs 1536 MiB of memory, above the owner's limit of 512 MiB per unit")]
    public void A_unit_that_needs_more_memory_than_the_limit_is_refused(long limit, long? need, string? refusal)
    {
        var governor = Governor(new ComputeLimits { MemoryPerUnitBytes = limit });

        Assert.Equal(refusal, governor.Refuses(need));
    }

    [Theory]
    [InlineData(0L, 1000L, 400L, 1000L)]
    [InlineData(2000L, 1000L, 400L, 1000L)]
    [InlineData(1200L, 1000L, 400L, 800L)]
    [InlineData(300L, 1000L, 400L, 0L)]
    public void The_cache_gets_what_the_disk_limit_leaves_after_the_rest_of_the_state(long disk, long cache, long other, long budget)
    {
        var governor = Governor(new ComputeLimits { DiskBytes = disk });

        Assert.Equal(budget, governor.CacheBudget(cache, other));
    }

    public void Dispose() => _disposables.ForEach(d => d.Dispose());

    private ComputeGovernor Governor(ComputeLimits limits)
    {
        var governor = new ComputeGovernor(limits, _time, _machine);
        _disposables.Add(governor);
        return governor;
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Protocol;
using Volunteer.Testing;
using Volunteer.Worker.Governor;
using Xunit.Abstractions;

namespace Volunteer.Worker.Tests.Governor;

/// <summary>The CPU throttle on real threads, measured by the threads' own CPU clocks.</summary>
public sealed class UnitGateThrottleTests(ITestOutputHelper output)
{
    private static readonly ReplicaRef Unit = new(Guid.Parse("5b0c1f3e-0000-4000-8000-000000000002"), 3, 0);

    /// <summary>
    /// A thread that computes flat out and passes its gate every <paramref name="passEveryMilliseconds"/> of wall time
    /// (1 ms: an app that reports often; 250 ms: primes' progress interval) keeps within half the wall time, with room
    /// for the measurement's granularity. An upper bound only: a busy machine can only give the thread less.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(250)]
    public void A_thread_throttled_to_50_percent_uses_at_most_0_65_of_the_wall_time(int passEveryMilliseconds)
    {
        using var governor = new ComputeGovernor(new ComputeLimits { CpuPercent = 50 }, TimeProvider.System, new FakeMachine());
        using var gate = governor.Admit(Unit);
        TimeSpan cpu = default;
        TimeSpan wall = default;
        var computing = new Thread(() =>
        {
            var startCpu = ThreadCpuClock.Now()!.Value;
            var clock = Stopwatch.StartNew();
            gate.Pass(CancellationToken.None);
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                Spin(TimeSpan.FromMilliseconds(passEveryMilliseconds));
                gate.Pass(CancellationToken.None);
            }
            (cpu, wall) = (ThreadCpuClock.Now()!.Value - startCpu, clock.Elapsed);
        });
        computing.Start();
        computing.Join();

        output.WriteLine($"passing every {passEveryMilliseconds} ms: {cpu.TotalSeconds:0.000} s CPU in {wall.TotalSeconds:0.000} s wall " +
            $"({cpu / wall:P1}); the gate counted {gate.CpuSeconds:0.000} s on thread {gate.ThreadId}");
        Assert.True(cpu <= 0.65 * wall, $"{cpu.TotalSeconds:0.000} s CPU in {wall.TotalSeconds:0.000} s wall is above 65%.");
        // The gate counts what the thread's clock says, from its first pass on.
        Assert.InRange(gate.CpuSeconds, 0, cpu.TotalSeconds);
        Assert.True(gate.CpuSeconds > 0);
    }

    [Fact]
    public async Task A_thread_over_its_share_sleeps_it_off_at_its_next_pass_and_a_new_share_applies_at_the_pass_after()
    {
        // Wall time stands still unless the test moves it, so all the CPU time the thread uses is over its share.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
        using var governor = new ComputeGovernor(new ComputeLimits { CpuPercent = 50 }, time, new FakeMachine());
        using var gate = governor.Admit(Unit);
        using var goOn = new ManualResetEventSlim();
        var slept = new TaskCompletionSource();
        var computing = Task.Factory.StartNew(() =>
        {
            gate.Pass(CancellationToken.None);
            SpinCpu(TimeSpan.FromMilliseconds(50));
            // Over its share by the CPU time it just used: asleep until twice that much wall time has passed.
            gate.Pass(CancellationToken.None);
            slept.SetResult();
            goOn.Wait();
            SpinCpu(TimeSpan.FromMilliseconds(50));
            gate.Pass(CancellationToken.None);
        }, TaskCreationOptions.LongRunning);

        await Eventually.UntilAsync("the thread's second pass to count its CPU time", () => gate.CpuSeconds >= 0.05, () => $"{gate.CpuSeconds} s",
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5));
        var overdraft = TimeSpan.FromSeconds(gate.CpuSeconds);

        // Half the sleep it needs is not enough.
        time.Advance(overdraft);
        Assert.NotSame(slept.Task, await Task.WhenAny(slept.Task, Task.Delay(TimeSpan.FromMilliseconds(300))));

        time.Advance(overdraft + TimeSpan.FromMilliseconds(1));
        await slept.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Over its share again, but at 100% the next pass does not sleep.
        governor.Apply(new ComputeLimits { CpuPercent = 100 });
        goOn.Set();
        await computing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(gate.CpuSeconds >= overdraft.TotalSeconds + 0.05, $"{gate.CpuSeconds} s");
    }

    /// <summary>Busy for the given wall time, as a computing unit is.</summary>
    private static void Spin(TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var sink = 0L;
        while (clock.Elapsed < duration)
        {
            sink += clock.ElapsedTicks % 7;
        }
        GC.KeepAlive(sink);
    }

    /// <summary>Busy until the calling thread has used the given CPU time, however long a loaded machine takes to give it.</summary>
    private static void SpinCpu(TimeSpan cpu)
    {
        var until = ThreadCpuClock.Now()!.Value + cpu;
        while (ThreadCpuClock.Now() < until)
        {
            Spin(TimeSpan.FromMilliseconds(1));
        }
    }
}

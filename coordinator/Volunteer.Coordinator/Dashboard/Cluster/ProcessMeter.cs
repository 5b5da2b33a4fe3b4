using Volunteer.Dashboard.Data.Cluster;

namespace Volunteer.Coordinator.Dashboard.Cluster;

/// <summary>
/// This process's own figures. CPU is the process's CPU time over the wall time since the previous reading (the first:
/// since the meter was made), as a share of all cores.
/// </summary>
internal sealed class ProcessMeter(TimeProvider time)
{
    private readonly Lock _gate = new();
    private (long At, TimeSpan Cpu) _previous = (time.GetTimestamp(), Environment.CpuUsage.TotalTime);

    public ProcessFigures Read()
    {
        TimeSpan wall;
        TimeSpan used;
        lock (_gate)
        {
            var now = (At: time.GetTimestamp(), Cpu: Environment.CpuUsage.TotalTime);
            (wall, used) = (time.GetElapsedTime(_previous.At, now.At), now.Cpu - _previous.Cpu);
            _previous = now;
        }
        var cores = Environment.ProcessorCount;
        var percent = wall > TimeSpan.Zero ? Math.Clamp(used / wall / cores * 100, 0, 100) : 0;
        return new ProcessFigures(percent, Environment.WorkingSet, GC.GetTotalMemory(forceFullCollection: false),
            ThreadPool.PendingWorkItemCount, ThreadPool.ThreadCount, cores);
    }
}

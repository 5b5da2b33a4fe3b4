using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Settings;

namespace Volunteer.Worker.Agent;

/// <summary>What the control socket asks of the running agent, answered from its projects' agents and its governor.</summary>
public sealed class AgentControl(
    AgentSupervisor supervisor,
    ComputeGovernor governor,
    SlotPool pool,
    IConfigurationRoot configuration,
    string stateDirectory,
    TimeProvider timeProvider,
    ILogger<AgentControl> logger) : IAgentControl
{
    public AgentSnapshot Snapshot()
    {
        var projects = supervisor.Agents.Select(a => a.Snapshot()).ToList();
        return new AgentSnapshot(
            AgentUpdates.InformationalVersion, Environment.ProcessId, timeProvider.GetUtcNow(), stateDirectory, governor.Limits, governor.PausedBecause, governor.Throttled,
            [.. projects.Select(p => p.Project)], [.. projects.SelectMany(p => p.Units)]);
    }

    public void Pause(TimeSpan? duration) => governor.PauseByOwner(duration);

    public void Resume()
    {
        governor.ResumeByOwner();
        pool.Recheck();
    }

    /// <summary>
    /// Reads the configuration again and puts its limits in force, for running units too; more slots start waiting
    /// units at once. Throws OptionsValidationException (nothing changed) when a limit is not valid.
    /// </summary>
    public ComputeLimits Reload()
    {
        var limits = AgentSettings.ReloadLimits(configuration);
        governor.Apply(limits);
        supervisor.ApplyDiskLimit();
        pool.Recheck();
        AgentLog.LimitsReloaded(logger, limits.Slots, limits.CpuPercent);
        return limits;
    }
}

using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Control;

/// <summary>What the control socket may ask of the running agent.</summary>
public interface IAgentControl
{
    AgentSnapshot Snapshot();

    /// <summary>Holds every unit (kept in memory) and starts none, until <see cref="Resume"/> or for <paramref name="duration"/>.</summary>
    void Pause(TimeSpan? duration);

    void Resume();

    /// <summary>Reads the settings again (the file `set` writes) and puts the limits in force; returns them.</summary>
    ComputeLimits Reload();
}

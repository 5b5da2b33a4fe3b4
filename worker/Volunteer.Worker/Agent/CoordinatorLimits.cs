using Volunteer.Protocol;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The coordinator's bounds on one sync as it last told them: at attach time (kept with the identity),
/// then in every accepted sync. The agent sizes its syncs by them and the unit runner its reports.
/// </summary>
public sealed class CoordinatorLimits(SyncLimits toldAtAttach)
{
    private volatile SyncLimits _current = toldAtAttach;

    public SyncLimits Current
    {
        get => _current;
        set => _current = value;
    }
}

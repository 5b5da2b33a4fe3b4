namespace Volunteer.Coordinator.Storage;

/// <summary>What the operators' cluster page reads of the store.</summary>
public partial interface IWorkStore
{
    /// <summary>Times a trivial query and reads the engine's version and the database's size (<see cref="StoreProbe"/>).</summary>
    Task<StoreProbe> ProbeAsync(CancellationToken cancellationToken = default);
}

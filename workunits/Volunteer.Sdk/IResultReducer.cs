using System.Text.Json;

namespace Volunteer.Sdk;

/// <summary>Assimilates the canonical results of valid units into the job's result.</summary>
public interface IResultReducer
{
    /// <summary>The job's result before any unit has been assimilated, as JSON.</summary>
    string Seed(JsonElement parameters);

    /// <summary>
    /// Folds one unit's canonical payload into the accumulated result and returns the new one.
    /// Called exactly once per valid unit, in no particular order.
    /// </summary>
    string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload);
}

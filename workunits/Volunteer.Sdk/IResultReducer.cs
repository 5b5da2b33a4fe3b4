using System.Text.Json;

namespace Volunteer.Sdk;

/// <summary>Assimilates the canonical results of valid units into the job's result.</summary>
public interface IResultReducer
{
    /// <summary>The job's result before any unit has been assimilated, as JSON.</summary>
    string Seed(JsonElement parameters);

    /// <summary>
    /// Folds one unit's canonical payload into the accumulated result and returns the new one.
    /// Called exactly once per valid unit, in no particular order. Throws <see cref="System.IO.InvalidDataException"/>
    /// for a payload that cannot be a result (the hosts that agreed on it were wrong), and
    /// <see cref="ReducerFailedException"/> when the reducer itself cannot fold it (the unit fails; no host is blamed).
    /// </summary>
    string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload);
}

/// <summary>
/// The job's own reducer could not fold a result (a scientist's reducer module that traps, a job result grown past its
/// bound): the unit fails with this message, and the hosts whose results agreed keep their standing.
/// </summary>
public sealed class ReducerFailedException(string message) : Exception(message);

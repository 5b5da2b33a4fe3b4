using System.Text.Json;

namespace Volunteer.Sdk;

/// <summary>Turns a job's parameters into work units, lazily.</summary>
public interface IJobSplitter
{
    /// <summary>
    /// Checks the job's parameters and tells how many units the job has, without creating them.
    /// Throws <see cref="InvalidJobParametersException"/> naming what is wrong.
    /// </summary>
    JobPlan Plan(JsonElement parameters);

    /// <summary>
    /// The unit inputs from <paramref name="firstUnitIndex"/> onward, produced one at a time so that a
    /// job of millions of units is never held in memory.
    /// </summary>
    IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex);
}

/// <summary>What the splitter promises about a job before any unit exists.</summary>
public sealed record JobPlan(long UnitCount);

/// <summary>The input of one work unit: its index in the job and the app's own JSON.</summary>
public sealed record UnitInput(long Index, string Json);

/// <summary>The job's parameters are not acceptable to the app; the message says why.</summary>
public sealed class InvalidJobParametersException(string message) : Exception(message);

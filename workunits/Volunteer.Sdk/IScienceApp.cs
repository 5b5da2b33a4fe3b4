namespace Volunteer.Sdk;

/// <summary>
/// A science app, bundled from one implementation per concern. Built-in apps ship inside both the
/// coordinator (which splits, compares and reduces) and the worker (which computes).
/// </summary>
public interface IScienceApp
{
    /// <summary>The name jobs use to ask for this app, e.g. "primes".</summary>
    string Name { get; }

    IJobSplitter Splitter { get; }

    IUnitComputer Computer { get; }

    IResultComparator Comparator { get; }

    /// <summary>Judges each result alone; an app that cannot leaves this at its default.</summary>
    IResultValidator Validator => AnyResultIsPlausible.Instance;

    IResultReducer Reducer { get; }

    /// <summary>What a unit is worth to the volunteers who validate it; one credit per unit unless the app says otherwise.</summary>
    IUnitCredit Credit => FixedCredit.OnePerUnit;
}

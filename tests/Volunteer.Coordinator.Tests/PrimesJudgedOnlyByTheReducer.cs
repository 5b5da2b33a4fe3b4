using Volunteer.Apps.Primes;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The primes app as an app that cannot judge a result alone would be: every result is plausible until the reducer
/// meets it. Its units are worth the default one credit each.
/// </summary>
internal sealed class PrimesJudgedOnlyByTheReducer : IScienceApp
{
    private readonly PrimesApp _primes = new();

    public string Name => _primes.Name;

    public IJobSplitter Splitter => _primes.Splitter;

    public IUnitComputer Computer => _primes.Computer;

    public IResultComparator Comparator => _primes.Comparator;

    public IResultReducer Reducer => _primes.Reducer;
}

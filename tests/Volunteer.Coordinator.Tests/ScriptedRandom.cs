namespace Volunteer.Coordinator.Tests;

/// <summary>
/// A workbook's draws decided by the test: <paramref name="draws"/> answer the spot-check draws in order (below the
/// spot-check share: replicated; at or above: alone), <paramref name="picks"/> the picks of a unit among a host's
/// units awaiting a check. A draw the test did not plan for fails it, so a test also shows when no draw is made.
/// </summary>
internal sealed class ScriptedRandom(IEnumerable<double>? draws = null, IEnumerable<int>? picks = null) : Random
{
    private readonly Queue<double> _draws = new(draws ?? []);
    private readonly Queue<int> _picks = new(picks ?? []);

    public override double NextDouble() =>
        _draws.TryDequeue(out var draw) ? draw : throw new InvalidOperationException("The workbook drew more spot checks than the test planned.");

    public override int Next(int maxValue) =>
        _picks.TryDequeue(out var pick) && pick < maxValue
            ? pick
            : throw new InvalidOperationException($"The workbook picked among {maxValue} units where the test planned no such pick.");

    public override int Next(int minValue, int maxValue) =>
        throw new InvalidOperationException("The workbook drew a placement pick the test did not plan for.");
}

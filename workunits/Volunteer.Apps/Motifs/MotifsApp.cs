using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Motifs;

/// <summary>
/// The built-in app "motifs": counts the occurrences (overlapping ones included) of each motif of a list in a DNA
/// sequence the scientist uploaded as a blob. Units are slices of the motif list; every unit reads the whole sequence,
/// the job's one shared input, which volunteers fetch from each other rather than all from the coordinator.
/// </summary>
public sealed class MotifsApp : IScienceApp
{
    public const string AppName = "motifs";

    /// <summary>A unit is one pass over the sequence whatever its motifs: one credit per 64 MiB scanned.</summary>
    private const double SequenceBytesPerCredit = 64.0 * 1024 * 1024;

    private readonly MotifsReducer _reducer = new();

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new MotifsSplitter();

    public IUnitComputer Computer { get; } = new MotifsComputer();

    /// <summary>Counts are exact, so honest results are byte-identical and digests must match.</summary>
    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultValidator Validator => _reducer;

    public IResultReducer Reducer => _reducer;

    /// <summary>
    /// sequenceBytes / 64 MiB per unit when the job states the sequence's size (the volunteer checks it, so it cannot be
    /// inflated); one credit per unit when it does not.
    /// </summary>
    public IUnitCredit Credit { get; } = new ScanCredit();

    public IReadOnlyList<string> InputBlobs(JsonElement parameters) => [MotifsParameters.Parse(parameters).All.Sequence];

    private sealed class MotifsSplitter : IJobSplitter
    {
        public JobPlan Plan(JsonElement parameters) => new(MotifsParameters.Parse(parameters).UnitCount);

        public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
        {
            // Checked at the call, not inside the iterator, so bad arguments fail here and the JsonElement is read
            // before its document can be disposed.
            ArgumentOutOfRangeException.ThrowIfNegative(firstUnitIndex);
            return Units(MotifsParameters.Parse(parameters), firstUnitIndex);
        }

        private static IEnumerable<UnitInput> Units(MotifsParameters job, long firstUnitIndex)
        {
            for (var index = firstUnitIndex; index < job.UnitCount; index++)
            {
                yield return new UnitInput(index, job.UnitAt(index).ToJson());
            }
        }
    }

    private sealed class ScanCredit : IUnitCredit
    {
        public double CreditOf(UnitInput unit) =>
            MotifsUnit.Parse(unit.Json).SequenceBytes is { } bytes ? bytes / SequenceBytesPerCredit : 1;
    }
}

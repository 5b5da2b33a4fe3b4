using System.Text.Json;

namespace Volunteer.Worker.Storage;

/// <summary>
/// What the running agent is doing, as it last wrote it to status.json for the status command: the
/// units it computes and how far along they are, the reports it holds and how its last sync went.
/// </summary>
/// <param name="WrittenAt">When the agent wrote this.</param>
/// <param name="Slots">How many units the agent runs at once.</param>
/// <param name="LastSync">The last sync that got an answer; null before the first.</param>
public sealed record WorkerStatus(
    DateTimeOffset WrittenAt,
    int Slots,
    IReadOnlyList<UnitProgress> Running,
    int PendingReports,
    SyncSummary? LastSync)
{
    public const string FileName = "status.json";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    public static WorkerStatus? Load(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize<WorkerStatus>(File.ReadAllBytes(path)) : null;
    }

    public void Save(string stateDirectory) => DurableFile.Write(PathIn(stateDirectory), JsonSerializer.SerializeToUtf8Bytes(this));
}

/// <summary>A unit the agent computes, with the fraction of it done (0..1) as its app last reported.</summary>
public sealed record UnitProgress(Guid JobId, long UnitIndex, int Replica, string App, double FractionDone);

/// <summary>When a sync was answered, and what the answer was, in words.</summary>
public sealed record SyncSummary(DateTimeOffset At, string Outcome);

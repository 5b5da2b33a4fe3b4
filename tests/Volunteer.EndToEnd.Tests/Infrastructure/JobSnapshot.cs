using System.Text.Json;

namespace Volunteer.EndToEnd.Tests;

/// <summary>The parts of the coordinator's JobView JSON that the tests look at.</summary>
public sealed record JobSnapshot(
    Guid Id,
    string State,
    long UnitCount,
    long Pending,
    long InProgress,
    long Valid,
    long Assimilated,
    long Failed,
    double Progress,
    string? FailureReason,
    string Json)
{
    public bool IsFinished => State is not "Running";

    public static JobSnapshot Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var units = root.GetProperty("units");
        return new JobSnapshot(
            root.GetProperty("id").GetGuid(),
            root.GetProperty("state").GetString()!,
            root.GetProperty("unitCount").GetInt64(),
            units.GetProperty("pending").GetInt64(),
            units.GetProperty("inProgress").GetInt64(),
            units.GetProperty("valid").GetInt64(),
            units.GetProperty("assimilated").GetInt64(),
            units.GetProperty("failed").GetInt64(),
            root.GetProperty("progress").GetDouble(),
            root.TryGetProperty("failureReason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null,
            json);
    }

    public override string ToString() =>
        $"job {Id} {State}: {Assimilated}/{UnitCount} assimilated, {Pending} pending, {InProgress} in progress, " +
        $"{Valid} valid, {Failed} failed{(FailureReason is null ? "" : $" ({FailureReason})")}";
}

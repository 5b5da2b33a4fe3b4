using System.Text.Json;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

public sealed class WorkFolderTests : IDisposable
{
    private readonly TempDirectory _state = new();

    [Fact]
    public void Leases_and_reports_survive_a_restart_until_acknowledged()
    {
        var assignment = Assignment(unit: 3);
        var folder = new WorkFolder(_state.Path);
        folder.Lease(assignment);
        var checkpoint = new SavedCheckpoint(new byte[] { 1, 2, 3 }, 0.25, DateTimeOffset.UnixEpoch);
        folder.SaveCheckpoint(assignment.Ref, checkpoint);

        var restarted = new WorkFolder(_state.Path);
        var leased = Assert.Single(restarted.LeasedUnits());
        Assert.Equal(assignment.Ref, leased.Ref);
        Assert.Equal(assignment.Input.GetRawText(), leased.Input.GetRawText());
        Assert.Equal([1, 2, 3], restarted.Checkpoint(assignment.Ref)!.State.ToArray());

        var report = Report(assignment);
        restarted.Finish(report);
        Assert.Empty(restarted.LeasedUnits());
        Assert.Null(restarted.Checkpoint(assignment.Ref));
        Assert.Equal((0, 0, 1), restarted.Count());

        var again = new WorkFolder(_state.Path);
        Assert.Equal(report, Assert.Single(again.PendingReports()));
        again.Acknowledged(report.Ref);
        Assert.Empty(new WorkFolder(_state.Path).PendingReports());
    }

    [Fact]
    public void Temporary_files_left_by_a_crash_are_removed_and_the_durable_copies_kept()
    {
        var assignment = Assignment(unit: 2);
        new WorkFolder(_state.Path).Lease(assignment);
        var leftover = Path.Combine(_state.Path, "outbox", "half-written.json.tmp");
        File.WriteAllText(leftover, "{\"jobId\":");

        var restarted = new WorkFolder(_state.Path);

        Assert.False(File.Exists(leftover));
        Assert.Equal(assignment.Ref, Assert.Single(restarted.LeasedUnits()).Ref);
        Assert.Empty(restarted.PendingReports());
    }

    [Fact]
    public void Forgetting_a_cancelled_lease_drops_its_checkpoint()
    {
        var assignment = Assignment(unit: 0);
        var folder = new WorkFolder(_state.Path);
        folder.Lease(assignment);
        folder.SaveCheckpoint(assignment.Ref, new SavedCheckpoint(new byte[] { 9 }, 0.5, DateTimeOffset.UnixEpoch));

        folder.Forget(assignment.Ref);

        Assert.Equal((0, 0, 0), folder.Count());
    }

    [Fact]
    public void Pending_reports_are_read_from_disk_once_when_the_folder_opens_and_kept_in_the_order_finished()
    {
        var first = Report(Assignment(unit: 7));
        var second = Report(Assignment(unit: 1));
        new WorkFolder(_state.Path).Finish(first);
        var folder = new WorkFolder(_state.Path);
        folder.Finish(second);
        var third = Report(Assignment(unit: 4));
        folder.Finish(third);

        // Gone from disk behind the folder's back: the folder still holds it, from memory.
        File.Delete(Directory.GetFiles(Path.Combine(_state.Path, "outbox"), $"*-{first.UnitIndex}-1.json").Single());

        Assert.Equal([first, second, third], folder.PendingReports());
        folder.Acknowledged(second.Ref);
        Assert.Equal([first, third], folder.PendingReports());
        Assert.Equal(2, folder.PendingReportCount);
        Assert.Equal([third], new WorkFolder(_state.Path).PendingReports());
    }

    public void Dispose() => _state.Dispose();

    private static ReplicaReport Report(Assignment assignment) =>
        new(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success, "sha256:00", 1, "AA==");

    private static Assignment Assignment(long unit) =>
        new(Guid.Parse("11111111-2222-3333-4444-555555555555"), unit, 1, "primes",
            JsonDocument.Parse("""{"from":0,"to":100}""").RootElement.Clone(), new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero));
}

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
    public void A_unit_finished_before_a_crash_whose_report_is_then_refused_is_not_leased_again_after_the_next_restart()
    {
        var assignment = Assignment(unit: 6);
        var folder = new WorkFolder(_state.Path);
        folder.Lease(assignment);
        folder.Finish(Report(assignment));

        // Killed here: the report went out and was taken, its acknowledgement lost; sent again, it is refused as already reported.
        var restarted = new WorkFolder(_state.Path);
        Assert.Empty(restarted.LeasedUnits());
        restarted.Settle([assignment.Ref], []);

        var again = new WorkFolder(_state.Path);
        Assert.Empty(again.LeasedUnits());
        Assert.Equal((0, 0, 0), again.Count());
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

    [Fact]
    public void A_short_units_report_waits_in_memory_its_lease_on_disk_until_the_sync_writes_every_such_report_as_one_file()
    {
        var (first, second) = (Assignment(unit: 1), Assignment(unit: 2));
        var folder = new WorkFolder(_state.Path);
        folder.Settle([], [first, second]);
        Assert.Single(Directory.GetFiles(Path.Combine(_state.Path, "inbox")));

        folder.Finish(Report(first), keepInMemory: true);
        folder.Finish(Report(second), keepInMemory: true);

        // A crash now: both leases are still on disk (computed again), no report is.
        var crashed = new WorkFolder(_state.Path);
        Assert.Equal([first.Ref, second.Ref], crashed.LeasedUnits().Select(a => a.Ref));
        Assert.Empty(crashed.PendingReports());

        // What a sync sends is on disk first, both reports in one file; the leases they finish no longer count.
        Assert.Equal([Report(first), Report(second)], folder.PendingReports());
        Assert.Single(Directory.GetFiles(Path.Combine(_state.Path, "outbox")));
        var afterWrite = new WorkFolder(_state.Path);
        Assert.Empty(afterWrite.LeasedUnits());
        Assert.Equal([Report(first), Report(second)], afterWrite.PendingReports());

        // Acknowledged: the file goes once none of its reports is pending (a restart before then sends the acknowledged
        // one again, which the coordinator refuses as already reported), and the inbox was rewritten without the leases.
        folder.Settle([first.Ref], []);
        Assert.Equal([Report(second)], folder.PendingReports());
        Assert.Equal([Report(first), Report(second)], new WorkFolder(_state.Path).PendingReports());
        folder.Settle([second.Ref], []);
        Assert.Empty(Directory.GetFiles(Path.Combine(_state.Path, "outbox")));
        Assert.Equal((0, 0, 0), new WorkFolder(_state.Path).Count());
    }

    [Fact]
    public void Leases_and_reports_kept_one_per_file_by_earlier_agents_are_read_and_the_leases_folded_into_the_one_inbox_file()
    {
        var (leased, finished) = (Assignment(unit: 5), Assignment(unit: 6));
        var inbox = Directory.CreateDirectory(Path.Combine(_state.Path, "inbox")).FullName;
        var outbox = Directory.CreateDirectory(Path.Combine(_state.Path, "outbox")).FullName;
        foreach (var assignment in new[] { leased, finished })
        {
            File.WriteAllBytes(Path.Combine(inbox, $"{assignment.JobId:N}-{assignment.UnitIndex}-{assignment.Replica}.json"),
                JsonSerializer.SerializeToUtf8Bytes(assignment, ProtocolJson.Options));
        }
        File.WriteAllBytes(Path.Combine(outbox, $"{finished.JobId:N}-{finished.UnitIndex}-{finished.Replica}.json"),
            JsonSerializer.SerializeToUtf8Bytes(Report(finished), ProtocolJson.Options));

        var folder = new WorkFolder(_state.Path);

        Assert.Equal([leased.Ref], folder.LeasedUnits().Select(a => a.Ref));
        Assert.Equal([Report(finished)], folder.PendingReports());
        Assert.Equal(["leases.json"], Directory.GetFiles(inbox).Select(Path.GetFileName));
        Assert.Equal([leased.Ref], new WorkFolder(_state.Path).LeasedUnits().Select(a => a.Ref));
    }

    public void Dispose() => _state.Dispose();

    private static ReplicaReport Report(Assignment assignment) =>
        new(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success, "sha256:00", 1, "AA==");

    private static Assignment Assignment(long unit) =>
        new(Guid.Parse("11111111-2222-3333-4444-555555555555"), unit, 1, "primes",
            JsonDocument.Parse("""{"from":0,"to":100}""").RootElement.Clone(), new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero));
}

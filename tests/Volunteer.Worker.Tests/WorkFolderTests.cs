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
        folder.SaveCheckpoint(assignment.Ref, [1, 2, 3]);

        var restarted = new WorkFolder(_state.Path);
        var leased = Assert.Single(restarted.LeasedUnits());
        Assert.Equal(assignment.Ref, leased.Ref);
        Assert.Equal(assignment.Input.GetRawText(), leased.Input.GetRawText());
        Assert.Equal([1, 2, 3], restarted.Checkpoint(assignment.Ref));

        var report = new ReplicaReport(assignment.JobId, 3, 1, ReportOutcome.Success, "sha256:00", 1, "AA==");
        restarted.Finish(report);
        Assert.Empty(restarted.LeasedUnits());
        Assert.Null(restarted.Checkpoint(assignment.Ref));
        Assert.Equal((0, 0, 1), restarted.Count());

        var again = new WorkFolder(_state.Path);
        Assert.Equal(report, Assert.Single(again.PendingReports(10)));
        again.Acknowledged(report.Ref);
        Assert.Empty(new WorkFolder(_state.Path).PendingReports(10));
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
        Assert.Empty(restarted.PendingReports(10));
    }

    [Fact]
    public void Forgetting_a_cancelled_lease_drops_its_checkpoint()
    {
        var assignment = Assignment(unit: 0);
        var folder = new WorkFolder(_state.Path);
        folder.Lease(assignment);
        folder.SaveCheckpoint(assignment.Ref, [9]);

        folder.Forget(assignment.Ref);

        Assert.Equal((0, 0, 0), folder.Count());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_identity_file_is_readable_by_its_owner_only()
    {
        new WorkerIdentity(Guid.NewGuid(), "token", [new Uri("http://127.0.0.1:5080/")], "key").Save(_state.Path);

        var mode = File.GetUnixFileMode(WorkerIdentity.PathIn(_state.Path));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal("token", WorkerIdentity.Load(_state.Path)!.Token);
    }

    public void Dispose() => _state.Dispose();

    private static Assignment Assignment(long unit) =>
        new(Guid.Parse("11111111-2222-3333-4444-555555555555"), unit, 1, "primes",
            JsonDocument.Parse("""{"from":0,"to":100}""").RootElement.Clone(), new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero));
}

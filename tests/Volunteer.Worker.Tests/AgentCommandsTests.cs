using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Commands;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Worker.Tests.Commands;

namespace Volunteer.Worker.Tests;

public sealed class AgentCommandsTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Job = Guid.Parse("11111111-0000-0000-0000-000000000000");
    private static readonly Uri Other = new("http://127.0.0.3:2/");

    private readonly TempDirectory _state = new();
    private readonly WorkerIdentity _identity = AttachedWorker.Identity();

    private WorkerOptions Settings => new() { StateDirectory = _state.Path };

    /// <summary>The folder of the project the test's identity is attached to.</summary>
    private string Project => ProjectFolders.For(_state.Path, AttachedWorker.First);

    /// <summary>The lines that say who this host is to the project, whenever status shows it.</summary>
    private string[] WhoAndWhere =>
    [
        "project 127.0.0.1_1 (share 100)",
        $"  worker:                {_identity.WorkerId}",
        $"  account:               {_identity.AccountId}",
        "  coordinators:          http://127.0.0.1:1/, http://127.0.0.2:1/",
    ];

    [Fact]
    public async Task Status_without_a_running_agent_says_so_with_exit_3_and_counts_the_work_held_on_disk()
    {
        _identity.Save(Project);
        var folder = new WorkFolder(Project);
        var leased = new Assignment(Job, 3, 1, "primes", JsonDocument.Parse("{}").RootElement.Clone(), DateTimeOffset.MaxValue);
        folder.Lease(leased);
        folder.SaveCheckpoint(leased.Ref, new SavedCheckpoint(new byte[] { 1 }, 0.5, Noon));
        folder.Finish(new ReplicaReport(Job, 4, 0, ReportOutcome.Error, Error: "test"));
        new WorkerStatus(Noon, 4, [], 0, new SyncSummary(Noon, "rejected (HTTP 400): bad")).Save(Project);

        var (exitCode, lines, _) = await Status();

        Assert.Equal(3, exitCode);
        Assert.Equal("agent:                   not running", lines[0]);
        Assert.Equal(WhoAndWhere, lines[1..5]);
        Assert.Equal(
        [
            $"  state directory:       {Project}",
            "  last sync:             2026-11-25 12:00:00Z, rejected (HTTP 400): bad",
            "  units leased:          1 not done, 1 with a checkpoint",
            "  reports awaiting ack:  1",
            "  blob cache:            0 B of 10 GiB, 0 blob(s) held",
            "  relayed for others:    0 bundle(s) held to forward",
        ], lines[5..]);
    }

    [Fact]
    public async Task Status_without_a_running_agent_counts_the_blobs_and_the_relayed_bundles_of_each_project()
    {
        _identity.Save(Project);
        var cache = new BlobCache(Project, long.MaxValue, TimeProvider.System);
        cache.StoreResult(new ReplicaRef(Job, 0, 0), new byte[2048]);
        cache.StoreResult(new ReplicaRef(Job, 1, 0), new byte[1024]);
        Directory.CreateDirectory(Path.Combine(Project, RelayInbox.FolderName));
        File.WriteAllText(Path.Combine(Project, RelayInbox.FolderName, "0000000000001-ab.json"), "{}");
        (_identity with { Coordinators = [Other], ResourceShare = 50 }).Save(ProjectFolders.For(_state.Path, Other));

        var (_, lines, _) = await Status();

        Assert.Equal(1 + 10 + 10, lines.Length);
        Assert.Equal(
        [
            "  blob cache:            3 KiB of 10 GiB, 2 blob(s) held",
            "  relayed for others:    1 bundle(s) held to forward",
        ], lines[9..11]);
        Assert.Equal("project 127.0.0.3_2 (share 50)", lines[11]);
    }

    [Fact]
    public async Task Status_of_a_worker_that_never_ran_has_no_last_sync_and_one_attached_before_accounts_says_so()
    {
        (_identity with { AccountId = null }).Save(Project);

        var (_, lines, _) = await Status();

        Assert.Equal("  account:               none recorded (attached before accounts)", lines[3]);
        Assert.Equal("  last sync:             none yet", lines[6]);
    }

    [Fact]
    public async Task Status_of_a_worker_not_attached_says_so_with_exit_1()
    {
        var (exitCode, lines, errors) = await Status();

        Assert.Equal((1, 0), (exitCode, lines.Length));
        Assert.Equal([$"Not attached (state directory {_state.Path})."], errors);
    }

    [Fact]
    public async Task Status_of_a_running_agent_is_its_answer_over_the_control_socket()
    {
        _identity.Save(Project);
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();
        agent.Pause(null);

        var (exitCode, lines, _) = await Status();

        Assert.Equal(0, exitCode);
        Assert.StartsWith($"agent:                   running, version 1.0.0-test, process {Environment.ProcessId} (as of ", lines[0], StringComparison.Ordinal);
        Assert.Equal(
        [
            $"state directory:         {_state.Path}",
            "computing:               paused by the owner",
            $"limits:                  {Environment.ProcessorCount} slot(s), CPU 100%, memory per unit no limit, disk no limit, windows always, " +
                "pause when in use no, pause on battery yes, checkpoint every 1m 00s, buffer 10m 00s + 5m 00s",
            "newer agent:             2.0.0",
            .. WhoAndWhere,
            "  last sync:             none yet",
            "  units buffered:        2",
            "  reports awaiting ack:  0",
            "  credit:                12.5",
            "units:                   0 running, 1 paused, 0 waiting",
            $"  job {Job} unit 3 replica 1 (primes, 127.0.0.1_1): paused 25%, ETA 3m 00s, CPU 42.5 s, resumed from 20%, checkpoint at 20%",
        ], lines[1..]);
    }

    [Fact]
    public async Task Status_as_json_is_the_agents_snapshot_and_with_no_agent_is_nothing_but_exit_3()
    {
        _identity.Save(Project);
        var (notRunning, nothing, said) = await Status("--json");
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();

        var (exitCode, lines, _) = await Status("--json");

        Assert.Equal((3, 0), (notRunning, nothing.Length));
        Assert.Equal(["agent: not running"], said);
        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal(Environment.ProcessId, json.RootElement.GetProperty("processId").GetInt32());
        Assert.Equal(100, json.RootElement.GetProperty("limits").GetProperty("cpuPercent").GetInt32());
        Assert.Equal("Running", json.RootElement.GetProperty("units")[0].GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Status_while_the_agent_holds_its_lock_but_its_socket_does_not_answer_shows_the_disk_and_exits_1()
    {
        _identity.Save(Project);
        using var running = AgentLock.TryTake(_state.Path);

        var (exitCode, lines, _) = await Status();

        Assert.Equal(1, exitCode);
        Assert.Equal("agent:                   running, but its control socket does not answer; what its projects hold on disk:", lines[0]);
        Assert.Equal(WhoAndWhere, lines[1..5]);
    }

    [Fact]
    public void Projects_lists_each_project_with_its_share()
    {
        _identity.Save(Project);
        (_identity with { Coordinators = [Other], ResourceShare = 300 }).Save(ProjectFolders.For(_state.Path, Other));
        using var output = new StringWriter();

        Assert.Equal(0, AgentCommands.Projects(_state.Path, output));

        Assert.Equal(
        [
            $"127.0.0.1_1  share 100 (25%)  worker {_identity.WorkerId}  http://127.0.0.1:1/, http://127.0.0.2:1/",
            $"127.0.0.3_2  share 300 (75%)  worker {_identity.WorkerId}  http://127.0.0.3:2/",
        ], Lines(output));
    }

    [Fact]
    public async Task Set_share_changes_one_projects_share_named_by_name_or_url_and_refuses_an_unknown_one()
    {
        _identity.Save(Project);
        (_identity with { Coordinators = [Other] }).Save(ProjectFolders.For(_state.Path, Other));
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await AgentCommands.SetShareAsync(_state.Path, "127.0.0.1_1", 250, output, error, CancellationToken.None));
        Assert.Equal(0, await AgentCommands.SetShareAsync(_state.Path, "http://127.0.0.3:2", 40, output, error, CancellationToken.None));
        Assert.Equal(1, await AgentCommands.SetShareAsync(_state.Path, "http://127.0.0.9:1/", 40, output, error, CancellationToken.None));
        Assert.Equal(2, await AgentCommands.SetShareAsync(_state.Path, "127.0.0.1_1", 0, output, error, CancellationToken.None));

        Assert.Equal([250, 40], ProjectFolders.List(_state.Path).Select(p => p.Identity.ResourceShare));
        Assert.Equal(["127.0.0.1_1: share 100 -> 250.", "127.0.0.3_2: share 100 -> 40."], Lines(output));
        Assert.Equal("Not attached to 'http://127.0.0.9:1/'; attached: 127.0.0.1_1, 127.0.0.3_2.", Lines(error)[0]);
    }

    [Fact]
    public void Detach_of_the_only_project_removes_its_blob_cache_relayed_bundles_and_the_state_directory()
    {
        _identity.Save(Project);
        new BlobCache(Project, long.MaxValue, TimeProvider.System).StoreResult(new ReplicaRef(Job, 0, 0), [1, 2, 3]);
        new RelayInbox(Project, 1, 1024);

        Assert.Equal(0, Detach(null, all: false, out _));

        Assert.False(Directory.Exists(_state.Path));
    }

    [Fact]
    public void Detach_of_one_of_two_projects_keeps_the_other_and_the_owners_settings()
    {
        _identity.Save(Project);
        var other = ProjectFolders.For(_state.Path, Other);
        (_identity with { Coordinators = [Other] }).Save(other);
        new WorkFolder(other).Finish(new ReplicaReport(Job, 4, 0, ReportOutcome.Error, Error: "test"));
        File.WriteAllText(Path.Combine(_state.Path, "settings.json"), """{"Worker":{"CpuPercent":50}}""");

        Assert.Equal(2, Detach(null, all: false, out var ambiguous));
        Assert.Equal(0, Detach("http://127.0.0.3:2/", all: false, out var detached));
        Assert.Equal(0, Detach(null, all: true, out var rest));

        Assert.Equal(["Attached to 2 projects (127.0.0.1_1, 127.0.0.3_2); name one, or give --all."], ambiguous);
        Assert.Equal(["Detached from 127.0.0.3_2; its local state removed, including 1 reports the project had not acknowledged."], detached);
        Assert.Equal(["Detached from 127.0.0.1_1; its local state removed."], rest);
        Assert.Equal(["settings.json"], Directory.GetFileSystemEntries(_state.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Detach_refuses_while_an_agent_runs_and_afterwards_removes_everything_the_agent_wrote()
    {
        _identity.Save(Project);
        new WorkerStatus(Noon, 1, [], 0, null).Save(Project);
        new WorkFolder(Project).Finish(new ReplicaReport(Job, 4, 0, ReportOutcome.Error, Error: "test"));
        var running = AgentLock.TryTake(_state.Path)!;

        Assert.Equal(1, Detach(null, all: true, out _));
        Assert.NotNull(WorkerIdentity.Load(Project));

        running.Dispose();
        Assert.Equal(0, Detach(null, all: true, out _));
        Assert.False(Directory.Exists(_state.Path));
    }

    [Fact]
    public async Task Run_exits_with_1_when_its_peer_port_is_taken()
    {
        _identity.Save(Project);
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default));
        builder.Services.PostConfigure<HttpClientFactoryOptions>(typeof(CoordinatorClient).Name,
            o => o.HttpMessageHandlerBuilderActions.Add(handler => handler.PrimaryHandler = coordinator));
        var settings = Settings;
        (settings.PeerAddress, settings.PeerPort) = ("127.0.0.1", ((IPEndPoint)taken.LocalEndpoint).Port);

        var exitCode = await AgentSupervisor.RunAsync(builder, settings).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Empty(coordinator.Requests);
    }

    [Fact]
    public async Task Run_without_an_identity_exits_with_1()
    {
        Assert.Equal(1, await AgentSupervisor.RunAsync(Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true }), Settings));
    }

    [Fact]
    public async Task A_second_agent_on_the_same_state_directory_does_not_start()
    {
        _identity.Save(Project);
        using var first = AgentLock.TryTake(_state.Path);

        var exitCode = await AgentSupervisor.RunAsync(Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true }), Settings);

        Assert.Equal(1, exitCode);
        Assert.Null(AgentLock.TryTake(_state.Path));
    }

    public void Dispose() => _state.Dispose();

    private int Detach(string? project, bool all, out string[] said)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = AgentCommands.Detach(_state.Path, project, all, output, error);
        said = [.. Lines(output), .. Lines(error)];
        return exitCode;
    }

    private async Task<(int ExitCode, string[] Lines, string[] Errors)> Status(string? json = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await StatusCommand.RunAsync(Settings, json is not null, output, error, CancellationToken.None);
        return (exitCode, Lines(output), Lines(error));
    }

    private static string[] Lines(StringWriter writer) => writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}

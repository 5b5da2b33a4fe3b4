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

namespace Volunteer.Worker.Tests;

public sealed class AgentCommandsTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Job = Guid.Parse("11111111-0000-0000-0000-000000000000");

    private readonly TempDirectory _state = new();
    private readonly WorkerIdentity _identity = AttachedWorker.Identity();

    private WorkerOptions Settings => new() { StateDirectory = _state.Path };

    /// <summary>The lines status begins with whenever the worker is attached.</summary>
    private string[] WhoAndWhere =>
    [
        $"Worker {_identity.WorkerId}",
        $"  account:                 {_identity.AccountId}",
        "  coordinators:            http://127.0.0.1:1/, http://127.0.0.2:1/",
        $"  state directory:         {_state.Path}",
    ];

    [Fact]
    public void Status_of_a_running_agent_shows_its_units_with_their_progress_its_reports_and_its_last_sync()
    {
        _identity.Save(_state.Path);
        new WorkerStatus(Noon.AddSeconds(5), 4, [new UnitProgress(Job, 3, 1, "primes", 0.256), new UnitProgress(Job, 9, 0, "primes", 1)], 7,
            new SyncSummary(Noon, "accepted: 2 report(s) acknowledged, 1 unit(s) leased, 0 cancelled"))
        {
            Peer = new PeerStatus("http://127.0.0.1:40123/", 1536 * 1024, 3L * 1024 * 1024 * 1024 / 2, 10L * 1024 * 1024 * 1024, 3, 2, 1),
        }.Save(_state.Path);
        using var running = AgentLock.TryTake(_state.Path);

        var (exitCode, lines) = Status();

        Assert.Equal(0, exitCode);
        Assert.Equal(WhoAndWhere, lines[..4]);
        Assert.Equal(
        [
            "  agent:                   running, 2 of 4 slots busy (as of 2026-11-25 12:00:05Z)",
            "  last sync:               2026-11-25 12:00:00Z, accepted: 2 report(s) acknowledged, 1 unit(s) leased, 0 cancelled",
            $"    job {Job} unit 3 replica 1 (primes): 26% done",
            $"    job {Job} unit 9 replica 0 (primes): 100% done",
            "  reports awaiting ack:    7",
            "  peer endpoint:           http://127.0.0.1:40123/, upload at most 1.5 MiB/s",
            "  blob cache:              1.5 GiB of 10 GiB, 3 blob(s) held",
            "  relayed for others:      2 bundle(s) held to forward",
            "  relayed through peers:   1 report(s) awaiting ack",
        ], lines[4..]);
    }

    [Fact]
    public void Status_without_a_running_agent_says_so_and_counts_the_work_held_on_disk()
    {
        _identity.Save(_state.Path);
        var folder = new WorkFolder(_state.Path);
        var leased = new Assignment(Job, 3, 1, "primes", JsonDocument.Parse("{}").RootElement.Clone(), DateTimeOffset.MaxValue);
        folder.Lease(leased);
        folder.SaveCheckpoint(leased.Ref, new SavedCheckpoint(new byte[] { 1 }, 0.5, Noon));
        folder.Finish(new ReplicaReport(Job, 4, 0, ReportOutcome.Error, Error: "test"));
        new WorkerStatus(Noon, 4, [], 0, new SyncSummary(Noon, "rejected (HTTP 400): bad")).Save(_state.Path);

        var (exitCode, lines) = Status();

        Assert.Equal(0, exitCode);
        Assert.Equal(WhoAndWhere, lines[..4]);
        Assert.Equal(
        [
            "  agent:                   not running",
            "  last sync:               2026-11-25 12:00:00Z, rejected (HTTP 400): bad",
            "  units leased, not done:  1 (1 with a checkpoint)",
            "  reports awaiting ack:    1",
            "  blob cache:              0 B of 10 GiB, 0 blob(s) held",
            "  relayed for others:      0 bundle(s) held to forward",
        ], lines[4..]);
    }

    [Fact]
    public void Status_of_a_running_agent_that_does_not_serve_says_so()
    {
        _identity.Save(_state.Path);
        new WorkerStatus(Noon, 1, [], 0, null) { Peer = new PeerStatus(null, 0, 100, 1000, 1, 0, 0) }.Save(_state.Path);
        using var running = AgentLock.TryTake(_state.Path);

        var (_, lines) = Status();

        Assert.Equal("  peer endpoint:           not serving", lines[7]);
        Assert.Equal("  blob cache:              100 B of 1000 B, 1 blob(s) held", lines[8]);
    }

    [Fact]
    public void Status_without_a_running_agent_counts_the_blobs_and_the_relayed_bundles_on_disk()
    {
        _identity.Save(_state.Path);
        var cache = new BlobCache(_state.Path, long.MaxValue, TimeProvider.System);
        cache.StoreResult(new ReplicaRef(Job, 0, 0), new byte[2048]);
        cache.StoreResult(new ReplicaRef(Job, 1, 0), new byte[1024]);
        Directory.CreateDirectory(Path.Combine(_state.Path, RelayInbox.FolderName));
        File.WriteAllText(Path.Combine(_state.Path, RelayInbox.FolderName, "0000000000001-ab.json"), "{}");

        var (_, lines) = Status();

        Assert.Equal(
        [
            "  blob cache:              3 KiB of 10 GiB, 2 blob(s) held",
            "  relayed for others:      1 bundle(s) held to forward",
        ], lines[^2..]);
    }

    [Fact]
    public void Detach_removes_the_blob_cache_and_the_relayed_bundles_too()
    {
        _identity.Save(_state.Path);
        new BlobCache(_state.Path, long.MaxValue, TimeProvider.System).StoreResult(new ReplicaRef(Job, 0, 0), [1, 2, 3]);
        new RelayInbox(_state.Path, 1, 1024);

        Assert.Equal(0, AgentCommands.Detach(Settings));

        Assert.False(Directory.Exists(_state.Path));
    }

    [Fact]
    public void Status_of_a_worker_that_never_ran_has_no_last_sync()
    {
        _identity.Save(_state.Path);

        var (_, lines) = Status();

        Assert.Equal(WhoAndWhere, lines[..4]);
        Assert.Equal(["  agent:                   not running", "  last sync:               none yet"], lines[4..6]);
    }

    [Fact]
    public void Status_of_a_worker_attached_before_accounts_says_it_has_no_account_recorded()
    {
        (_identity with { AccountId = null }).Save(_state.Path);

        var (_, lines) = Status();

        Assert.Equal("  account:                 none recorded (attached before accounts)", lines[1]);
    }

    [Fact]
    public void Status_of_a_worker_not_attached_says_so()
    {
        var (exitCode, lines) = Status();

        Assert.Equal(1, exitCode);
        Assert.Equal([$"Not attached (state directory {_state.Path})."], lines);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task Run_exits_with_1_when_the_coordinator_does_not_recognise_the_worker(HttpStatusCode status)
    {
        _identity.Save(_state.Path);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var coordinator = new ScriptedHandler(ScriptedHandler.Answer(status, """{"detail":"The worker token is not recognised."}"""));
        // Post-configured, so the scripted coordinator replaces the handler the run command gives the agent's client afterwards.
        builder.Services.PostConfigure<HttpClientFactoryOptions>(typeof(CoordinatorClient).Name,
            o => o.HttpMessageHandlerBuilderActions.Add(handler => handler.PrimaryHandler = coordinator));

        var exitCode = await AgentCommands.RunAsync(builder, Settings).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.False(AgentLock.IsHeld(_state.Path));
    }

    [Fact]
    public async Task Run_exits_with_1_when_its_peer_port_is_taken()
    {
        _identity.Save(_state.Path);
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var coordinator = new ScriptedHandler(ScriptedHandler.AcceptWith(SyncLimits.Default));
        builder.Services.PostConfigure<HttpClientFactoryOptions>(typeof(CoordinatorClient).Name,
            o => o.HttpMessageHandlerBuilderActions.Add(handler => handler.PrimaryHandler = coordinator));
        var settings = Settings;
        (settings.PeerAddress, settings.PeerPort) = ("127.0.0.1", ((IPEndPoint)taken.LocalEndpoint).Port);

        var exitCode = await AgentCommands.RunAsync(builder, settings).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Empty(coordinator.Requests);
    }

    [Fact]
    public async Task Run_without_an_identity_exits_with_1()
    {
        Assert.Equal(1, await AgentCommands.RunAsync(Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true }), Settings));
    }

    [Fact]
    public async Task A_second_agent_on_the_same_state_directory_does_not_start()
    {
        _identity.Save(_state.Path);
        using var first = AgentLock.TryTake(_state.Path);

        var exitCode = await AgentCommands.RunAsync(Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true }), Settings);

        Assert.Equal(1, exitCode);
        Assert.Null(AgentLock.TryTake(_state.Path));
    }

    [Fact]
    public void Detach_refuses_while_an_agent_runs_and_afterwards_removes_everything_the_agent_wrote()
    {
        _identity.Save(_state.Path);
        new WorkerStatus(Noon, 1, [], 0, null).Save(_state.Path);
        new WorkFolder(_state.Path).Finish(new ReplicaReport(Job, 4, 0, ReportOutcome.Error, Error: "test"));
        var running = AgentLock.TryTake(_state.Path)!;

        Assert.Equal(1, AgentCommands.Detach(Settings));
        Assert.NotNull(WorkerIdentity.Load(_state.Path));

        running.Dispose();
        Assert.Equal(0, AgentCommands.Detach(Settings));
        Assert.False(Directory.Exists(_state.Path));
    }

    public void Dispose() => _state.Dispose();

    private (int ExitCode, string[] Lines) Status()
    {
        using var output = new StringWriter();
        var exitCode = AgentCommands.Status(Settings, output);
        return (exitCode, output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}

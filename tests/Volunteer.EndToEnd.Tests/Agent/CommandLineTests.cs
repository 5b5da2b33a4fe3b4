using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// volunteer-worker's command line as a volunteer or a script uses it: the real executable against real
/// coordinators, and against a running agent through its control socket.
/// </summary>
public sealed class CommandLineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = TestFolders.Create("command-line");
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<CoordinatorProcess> _coordinators = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
        foreach (var coordinator in _coordinators)
        {
            await coordinator.DisposeAsync();
        }
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task Two_projects_are_attached_each_with_its_share_listed_and_left_one_at_a_time()
    {
        var first = await CoordinatorAsync("project-a");
        var second = await CoordinatorAsync("project-b");
        var state = Path.Combine(_folder, "host");
        var source = LoopbackSources.Next().ToString();

        var attachFirst = await Command("attach", first.BaseAddress.ToString(), "--state-dir", state, "--source-address", source, "--share", "300");
        var attachSecond = await Command("attach", second.BaseAddress.ToString(), "--state-dir", state, "--source-address", source);
        var again = await Command("attach", first.BaseAddress.ToString(), "--state-dir", state, "--source-address", source);
        var listed = await Command("projects", "--state-dir", state);
        string?[] folders = [.. Directory.GetDirectories(Path.Combine(state, "projects")).Where(f => File.Exists(Path.Combine(f, "identity.json"))).Select(Path.GetFileName).Order()];
        var ambiguous = await Command("detach", "--state-dir", state);
        var detached = await Command("detach", second.BaseAddress.ToString(), "--state-dir", state);
        var left = await Command("projects", "--state-dir", state);

        Assert.Equal((0, 0, 1, 0), (attachFirst.ExitCode, attachSecond.ExitCode, again.ExitCode, listed.ExitCode));
        Assert.StartsWith("[stderr] Already attached to ", Assert.Single(again.Lines), StringComparison.Ordinal);
        var a = $"127.0.0.1_{first.BaseAddress.Port}";
        var b = $"127.0.0.1_{second.BaseAddress.Port}";
        Assert.Equal(
            [$"{a}  share 300 (75%)", $"{b}  share 100 (25%)"],
            listed.Lines.Select(l => l[..l.IndexOf("  worker ", StringComparison.Ordinal)]).OrderBy(l => l.Contains("share 100", StringComparison.Ordinal)));
        Assert.Equal(new[] { a, b }.Order(), folders);
        Assert.Equal(2, ambiguous.ExitCode);
        Assert.Equal(0, detached.ExitCode);
        Assert.Equal([$"Detached from {b}; its local state removed."], detached.Lines);
        Assert.StartsWith($"{a}  share 300 (100%)", Assert.Single(left.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_errors_exit_with_2_and_refusals_with_1()
    {
        var state = Path.Combine(_folder, "nowhere");

        var bogus = await Command("bogus");
        var badValue = await Command("set", "cpu-percent", "150", "--state-dir", state);
        var badSwitch = await Command("run", "--cpu-percent", "half", "--state-dir", state);
        var notAttached = await Command("status", "--state-dir", state);
        var nothingToPause = await Command("pause", "--state-dir", state);
        var help = await Command("run", "--help");

        Assert.Equal((2, 2, 2), (bogus.ExitCode, badValue.ExitCode, badSwitch.ExitCode));
        Assert.Contains("[stderr] Unrecognized command or argument 'bogus'.", bogus.Lines);
        Assert.Contains("[stderr] cpu-percent: 'half' is not a whole number.", badSwitch.Lines);
        Assert.False(Directory.Exists(state));
        Assert.Equal((1, 1, 0), (notAttached.ExitCode, nothingToPause.ExitCode, help.ExitCode));
        Assert.Contains(help.Lines, l => l.TrimStart().StartsWith("--cpu-percent <N>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_without_a_running_agent_exits_with_3_and_says_so()
    {
        var coordinator = await CoordinatorAsync("project");
        var worker = Worker("idle-host");
        await worker.AttachAsync([coordinator.BaseAddress]);

        var status = await Command("status", "--state-dir", worker.StateDirectory);
        var json = await Command("status", "--json", "--state-dir", worker.StateDirectory);

        Assert.Equal((3, "agent:                   not running"), (status.ExitCode, status.Lines[0]));
        Assert.Equal(3, json.ExitCode);
        Assert.Equal(["[stderr] agent: not running"], json.Lines);
    }

    [Fact]
    public async Task Status_of_a_running_agent_is_asked_over_its_control_socket()
    {
        var worker = await RunningAgentAsync("status-host");

        var status = await Command("status", "--state-dir", worker.StateDirectory);

        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith($"agent:                   running, version ", status.Lines[0], StringComparison.Ordinal);
        Assert.Contains($", process {worker.ProcessId} (as of ", status.Lines[0], StringComparison.Ordinal);
        Assert.Contains($"  worker:                {worker.WorkerId}", status.Lines);
    }

    [Fact]
    public async Task Set_cpu_percent_on_a_running_agent_changes_the_limits_it_reports_without_a_restart()
    {
        var worker = await RunningAgentAsync("throttled-host");
        var before = await SnapshotAsync(worker);

        var set = await Command("set", "cpu-percent", "50", "--state-dir", worker.StateDirectory);
        var after = await SnapshotAsync(worker);

        Assert.Equal(100, before.GetProperty("limits").GetProperty("cpuPercent").GetInt32());
        Assert.Equal((0, "The running agent now holds to cpu-percent = 50."), (set.ExitCode, set.Lines[^1]));
        Assert.Equal((50, true), (after.GetProperty("limits").GetProperty("cpuPercent").GetInt32(), after.GetProperty("throttled").GetBoolean()));
        Assert.Equal((worker.ProcessId, 1), (after.GetProperty("processId").GetInt32(), worker.Generation));
    }

    [Fact]
    public async Task Pause_then_status_shows_paused_by_the_owner_and_resume_clears_it()
    {
        var worker = await RunningAgentAsync("paused-host");

        var pause = await Command("pause", "--state-dir", worker.StateDirectory);
        var paused = await Command("status", "--state-dir", worker.StateDirectory);
        var resume = await Command("resume", "--state-dir", worker.StateDirectory);
        var resumed = await Command("status", "--state-dir", worker.StateDirectory);

        Assert.Equal((0, 0, 0, 0), (pause.ExitCode, paused.ExitCode, resume.ExitCode, resumed.ExitCode));
        Assert.Contains("computing:               paused by the owner", paused.Lines);
        Assert.Contains("computing:               yes", resumed.Lines);
    }

    private async Task<CoordinatorProcess> CoordinatorAsync(string name)
    {
        var coordinator = new CoordinatorProcess(name, Path.Combine(_folder, name), $"{name}-key", new Dictionary<string, string>());
        _coordinators.Add(coordinator);
        await coordinator.StartAsync();
        return coordinator;
    }

    private WorkerProcess Worker(string name)
    {
        var worker = new WorkerProcess(name, Path.Combine(_folder, name), _folder, LoopbackSources.Next());
        _workers.Add(worker);
        return worker;
    }

    /// <summary>An attached agent, running, once its control socket answers.</summary>
    private async Task<WorkerProcess> RunningAgentAsync(string name)
    {
        var coordinator = await CoordinatorAsync($"{name}-project");
        var worker = Worker(name);
        await worker.AttachAsync([coordinator.BaseAddress]);
        worker.Start();
        var deadline = DateTime.UtcNow + AgentTimeout;
        while ((await Command("status", "--json", "--state-dir", worker.StateDirectory)).ExitCode != 0)
        {
            Assert.True(worker.IsRunning, $"{name} exited.\n{worker.Tail()}");
            Assert.True(DateTime.UtcNow < deadline, $"{name}'s control socket did not answer within {AgentTimeout.TotalSeconds:0} s.\n{worker.Tail()}");
            await Task.Delay(200);
        }
        return worker;
    }

    private async Task<JsonElement> SnapshotAsync(WorkerProcess worker)
    {
        var status = await Command("status", "--json", "--state-dir", worker.StateDirectory);
        Assert.Equal(0, status.ExitCode);
        using var json = JsonDocument.Parse(Assert.Single(status.Lines));
        return json.RootElement.Clone();
    }

    /// <summary>Runs volunteer-worker with <paramref name="args"/> to its end: its exit code and its lines (stderr ones marked).</summary>
    private async Task<(int ExitCode, IReadOnlyList<string> Lines)> Command(params string[] args)
    {
        await using var command = ChildProcess.Start($"volunteer-worker {args[0]}", RepoLayout.DotnetHost, [RepoLayout.WorkerDll, .. args], _folder,
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" });
        var exitCode = await command.WaitForExitAsync(CommandTimeout);
        output.WriteLine($"$ volunteer-worker {string.Join(' ', args)}  -> {exitCode}");
        foreach (var line in command.Lines)
        {
            output.WriteLine("  " + line);
        }
        return (exitCode, command.Lines);
    }
}

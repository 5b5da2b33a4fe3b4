using System.Text.Json;
using Volunteer.Worker.Commands;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>volunteer-worker's command line as a script meets it: parsing, exit codes, `set`, `pause` and `resume`.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _state = new();

    private string SettingsPath => Path.Combine(_state.Path, "settings.json");

    [Theory]
    [InlineData("")]
    [InlineData("bogus")]
    [InlineData("attach")]
    [InlineData("attach http://127.0.0.1:5080/ --share many")]
    [InlineData("run --cpu-percent abc")]
    [InlineData("run --memory-per-unit lots")]
    [InlineData("run --checkpoint-interval soon")]
    [InlineData("run --bogus")]
    [InlineData("status --log-format xml")]
    [InlineData("pause --for soon")]
    [InlineData("pause --for 0s")]
    [InlineData("set")]
    [InlineData("set cpu-percent")]
    [InlineData("set cpu-percent 50 --unset")]
    [InlineData("set --list cpu-percent")]
    [InlineData("detach 127.0.0.1_5080 --all")]
    [InlineData("set-share 127.0.0.1_5080")]
    public async Task A_usage_error_exits_with_2_says_why_on_stderr_and_writes_nothing(string commandLine)
    {
        var (exitCode, output, error) = await Invoke([.. commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--state-dir", _state.Path]);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.NotEmpty(error);
        Assert.Empty(Directory.GetFileSystemEntries(_state.Path));
    }

    [Theory]
    [InlineData("attach")]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("set")]
    [InlineData("projects")]
    [InlineData("set-share")]
    [InlineData("detach")]
    public async Task Every_command_has_help_that_exits_with_0(string command)
    {
        var (exitCode, output, _) = await Invoke([command, "--help"]);

        Assert.Equal(0, exitCode);
        // The usage line names the executable as started (volunteer-worker, or the test host here), then the command.
        Assert.Matches($@"Usage:\s+\S+ {command}\b", output);
    }

    [Fact]
    public async Task The_top_level_help_documents_the_exit_codes()
    {
        var (exitCode, output, _) = await Invoke(["--help"]);

        Assert.Equal(0, exitCode);
        Assert.Contains(ExitCodes.Help.Split('\n')[2].Trim(), output, StringComparison.Ordinal);
        Assert.Contains("3  status: attached, but no agent is running", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_takes_every_compute_limit_from_the_command_line_in_the_units_people_write()
    {
        var configuration = new CommandLine(TextWriter.Null, TextWriter.Null).ConfigurationOf(
        [
            "run", "--state-dir", _state.Path, "--slots", "3", "--cpu-percent", "40", "--memory-per-unit", "512MiB", "--disk", "20GiB",
            "--compute-windows", "22:00-07:00", "--pause-when-in-use", "--idle-minutes", "5", "--in-use-cpu-percent", "30",
            "--pause-on-battery", "false", "--checkpoint-interval", "90s", "--buffer", "2h", "--buffer-extra", "30m",
        ]);

        var limits = ComputeLimits.From(configuration);

        Assert.Equal((3, 40, 512L << 20, 20L << 30, "22:00-07:00"), (limits.Slots, limits.CpuPercent, limits.MemoryPerUnitBytes, limits.DiskBytes, limits.ComputeWindows));
        Assert.Equal((true, 5.0, 30, false), (limits.PauseWhenInUse, limits.IdleMinutes, limits.InUseCpuPercent, limits.PauseOnBattery));
        Assert.Equal((TimeSpan.FromSeconds(90), 7200.0, 1800.0), (limits.CheckpointInterval, limits.BufferSeconds, limits.BufferExtraSeconds));
        Assert.Equal(_state.Path, WorkerOptions.From(configuration).StateDirectory);
    }

    [Fact]
    public void The_scripts_attach_and_run_lines_keep_working()
    {
        var commandLine = new CommandLine(TextWriter.Null, TextWriter.Null);

        var attach = WorkerOptions.From(commandLine.ConfigurationOf(
            ["attach", "http://127.0.0.1:5080/", "http://127.0.0.2:5080/", "--state-dir", _state.Path, "--slots", "1", "--name", "w1", "--source-address", "127.0.11.1", "--account", "KEY"]));
        var run = WorkerOptions.From(commandLine.ConfigurationOf(
            ["run", "--state-dir", _state.Path, "--slots", "2", "--source-address", "127.0.11.1", "--no-serve", "--peer-port", "40000"]));

        Assert.Equal((1, "w1", "127.0.11.1", "KEY"), (attach.Slots, attach.Name, attach.SourceAddress, attach.AccountKey));
        Assert.Equal((2, "127.0.11.1", false, 40000), (run.Slots, run.SourceAddress, run.Serve, run.PeerPort));
    }

    [Fact]
    public async Task Set_checks_the_value_then_writes_it_to_the_settings_file_and_unset_removes_it()
    {
        File.WriteAllText(SettingsPath, """{"Logging": {"LogLevel": {"Default": "Warning"}}, "Worker": {"Name": "kept"}}""");

        var set = await Invoke(["set", "cpu-percent", "50", "--state-dir", _state.Path]);
        var size = await Invoke(["set", "memory-per-unit", "2GiB", "--state-dir", _state.Path]);
        var window = await Invoke(["set", "compute-windows", "22:00-07:00", "--state-dir", _state.Path]);
        var unset = await Invoke(["set", "name", "--unset", "--state-dir", _state.Path]);

        Assert.Equal((0, 0, 0, 0), (set.ExitCode, size.ExitCode, window.ExitCode, unset.ExitCode));
        Assert.Equal($"cpu-percent = 50 ({SettingsPath}).", set.Output.Trim());
        using var file = JsonDocument.Parse(File.ReadAllText(SettingsPath));
        Assert.Equal("Warning", file.RootElement.GetProperty("Logging").GetProperty("LogLevel").GetProperty("Default").GetString());
        var worker = file.RootElement.GetProperty("Worker");
        Assert.Equal(["CpuPercent", "MemoryPerUnitBytes", "ComputeWindows"], worker.EnumerateObject().Select(p => p.Name));
        Assert.Equal((50, 2147483648L, "22:00-07:00"), (worker.GetProperty("CpuPercent").GetInt32(), worker.GetProperty("MemoryPerUnitBytes").GetInt64(), worker.GetProperty("ComputeWindows").GetString()));
        Assert.Equal(["settings.json"], Directory.GetFileSystemEntries(_state.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("cpu-percent", "0", "cpu-percent: DataAnnotation validation failed for 'ComputeLimits' members: 'CpuPercent' with the error: 'The field CpuPercent must be between 1 and 100.'.")]
    [InlineData("cpu-percent", "half", "cpu-percent: 'half' is not a whole number.")]
    [InlineData("slots", "0", "slots: DataAnnotation validation failed for 'WorkerOptions' members: 'Slots' with the error: 'The field Slots must be between 1 and 4096.'.")]
    [InlineData("source-address", "eth0", "source-address: DataAnnotation validation failed for 'WorkerOptions' members: 'SourceAddress' with the error: 'The field SourceAddress must be an IP address of this host, not 'eth0'.'.")]
    [InlineData("checkpoint-interval", "10ms", "checkpoint-interval: DataAnnotation validation failed for 'ComputeLimits' members: 'CheckpointInterval' with the error: 'The field CheckpointInterval must be between 00:00:00.1000000 and 1.00:00:00.'.")]
    [InlineData("pause-on-battery", "maybe", "pause-on-battery: 'maybe' is not true or false.")]
    [InlineData("turbo", "on", "There is no setting 'turbo'; 'set --list' lists them.")]
    public async Task Set_of_a_bad_value_exits_with_2_and_leaves_the_settings_file_as_it_was(string name, string value, string error)
    {
        const string Before = """{"Worker": {"CpuPercent": 30}}""";
        File.WriteAllText(SettingsPath, Before);

        var (exitCode, output, said) = await Invoke(["set", name, value, "--state-dir", _state.Path]);

        Assert.Equal((2, ""), (exitCode, output));
        Assert.Equal(error, said.Trim());
        Assert.Equal(Before, File.ReadAllText(SettingsPath));
    }

    [Fact]
    public async Task A_settings_file_that_is_not_json_is_named_and_never_overwritten()
    {
        File.WriteAllText(SettingsPath, "CpuPercent = 50");

        var (exitCode, _, error) = await Invoke(["set", "cpu-percent", "50", "--state-dir", _state.Path]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"Failed to load configuration from file '{SettingsPath}'", error, StringComparison.Ordinal);
        Assert.Equal("CpuPercent = 50", File.ReadAllText(SettingsPath));
    }

    [Fact]
    public async Task Config_names_another_settings_file()
    {
        var elsewhere = Path.Combine(_state.Path, "elsewhere", "agent.json");

        var (exitCode, _, _) = await Invoke(["set", "cpu-percent", "25", "--state-dir", _state.Path, "--config", elsewhere]);
        var configuration = new CommandLine(TextWriter.Null, TextWriter.Null).ConfigurationOf(["run", "--state-dir", _state.Path, "--config", elsewhere]);

        Assert.Equal(0, exitCode);
        Assert.False(File.Exists(SettingsPath));
        Assert.Equal(25, ComputeLimits.From(configuration).CpuPercent);
    }

    [Fact]
    public async Task Set_on_a_running_agent_puts_the_limit_in_force_at_once()
    {
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();

        var (exitCode, output, _) = await Invoke(["set", "cpu-percent", "50", "--state-dir", _state.Path]);

        Assert.Equal(0, exitCode);
        Assert.Equal([$"cpu-percent = 50 ({SettingsPath}).", "The running agent now holds to cpu-percent = 50."], output.Trim().Split(Environment.NewLine));
        Assert.Equal((50, true, 1), (agent.Governor.Limits.CpuPercent, agent.Governor.Throttled, agent.Reloads));
    }

    [Fact]
    public async Task Set_on_a_running_agent_whose_command_line_sets_the_limit_says_which_value_holds()
    {
        await using var agent = await new GovernedAgent(_state.Path, new Dictionary<string, string?> { ["Worker:CpuPercent"] = "80" }).ListenAsync();

        var (exitCode, output, _) = await Invoke(["set", "cpu-percent", "50", "--state-dir", _state.Path]);

        Assert.Equal(0, exitCode);
        Assert.Equal("The running agent holds to cpu-percent = 80: its environment or command line sets it, and they take precedence over the settings file.",
            output.Trim().Split(Environment.NewLine)[1]);
        Assert.Equal(80, agent.Governor.Limits.CpuPercent);
    }

    [Fact]
    public async Task Set_of_a_setting_taken_at_start_is_not_reloaded()
    {
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();

        var (exitCode, output, _) = await Invoke(["set", "cache-size", "1GiB", "--state-dir", _state.Path]);

        Assert.Equal((0, 0), (exitCode, agent.Reloads));
        Assert.EndsWith("The running agent takes this setting at its next start.", output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pause_and_resume_reach_the_running_agent_and_without_one_exit_with_1()
    {
        var (alone, _, nobody) = await Invoke(["pause", "--state-dir", _state.Path]);
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();

        var paused = await Invoke(["pause", "--for", "30m", "--state-dir", _state.Path]);
        var reasons = agent.Governor.PausedBecause;
        var resumed = await Invoke(["resume", "--state-dir", _state.Path]);

        Assert.Equal((1, $"No agent is running on {_state.Path}."), (alone, nobody.Trim()));
        Assert.Equal((0, "Paused by the owner for 30m 00s; units are held where they are and resume by themselves."), (paused.ExitCode, paused.Output.Trim()));
        Assert.StartsWith("paused by the owner until ", Assert.Single(reasons), StringComparison.Ordinal);
        Assert.Equal((0, "Resumed: the owner's pause is lifted."), (resumed.ExitCode, resumed.Output.Trim()));
        Assert.Empty(agent.Governor.PausedBecause);
    }

    [Fact]
    public async Task Status_and_projects_and_detach_by_the_command_line()
    {
        AttachedWorker.Identity().Save(ProjectFolders.For(_state.Path, AttachedWorker.First));

        var notRunning = await Invoke(["status", "--state-dir", _state.Path]);
        var projects = await Invoke(["projects", "--state-dir", _state.Path]);
        var detached = await Invoke(["detach", "--state-dir", _state.Path]);
        var notAttached = await Invoke(["status", "--state-dir", _state.Path]);

        Assert.Equal((3, "agent:                   not running"), (notRunning.ExitCode, notRunning.Output.Split(Environment.NewLine)[0]));
        Assert.StartsWith("127.0.0.1_1  share 100 (100%)", projects.Output, StringComparison.Ordinal);
        Assert.Equal((0, "Detached from 127.0.0.1_1; its local state removed."), (detached.ExitCode, detached.Output.Trim()));
        Assert.Equal((1, $"Not attached (state directory {_state.Path})."), (notAttached.ExitCode, notAttached.Error.Trim()));
    }

    public void Dispose() => _state.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> Invoke(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CommandLine.InvokeAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}

using System.Diagnostics;
using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// The coordinator reads the settings file beside its executable, wherever it is started from, and the runtime runs it
/// with the collector it was measured on.
/// </summary>
public sealed class CoordinatorSettingsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Started_from_another_folder_it_still_logs_at_its_files_quiet_levels()
    {
        var elsewhere = TestFolders.Create("coordinator-cwd");
        try
        {
            await using var coordinator = new CoordinatorProcess(
                "coordinator", Path.Combine(elsewhere, "data"), "settings-test-key", new Dictionary<string, string>(), workingDirectory: elsewhere);
            await coordinator.StartAsync();

            var job = await coordinator.SubmitJobAsync(VolunteerCluster.PrimesJob(unitSize: 1_000_000));
            await coordinator.GetJobAsync(job.Id);
            await coordinator.KillAsync();

            var lines = coordinator.LinesOf(0);
            output.WriteLine(string.Join(Environment.NewLine, lines));
            // The project's own messages stay at Information; ASP.NET Core's per-request lines and Orleans'
            // start-up chatter are Warning in appsettings.json, and would flood the log without it.
            Assert.Contains(lines, line => line.Contains($"Job {job.Id} submitted", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains("Orleans.", StringComparison.Ordinal) && line.StartsWith("info:", StringComparison.Ordinal));
        }
        finally
        {
            TestFolders.Delete(elsewhere, output);
        }
    }

    [Fact]
    public void The_runtime_runs_the_coordinator_on_the_workstation_collector_keeping_its_heap_compact()
    {
        // What the runtime reads at start beside the coordinator's dll: the server collector served less on 2 cores shared
        // with PostgreSQL and held 13-25% more memory at 100,000 volunteers (README, the population benchmark).
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoLayout.CoordinatorDirectory, "Volunteer.Coordinator.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.Equal(5, properties.GetProperty("System.GC.ConserveMemory").GetInt32());
    }

    [Theory]
    [InlineData(null, "0x4000000")]
    [InlineData("0x2000000", "0x2000000")]
    public async Task The_launch_script_starts_the_coordinator_with_the_runtime_settings_beside_it_unless_the_environment_sets_them(
        string? set, string expected)
    {
        // coordinator.sh is what infra/demo.sh, the benchmarks, the systemd unit and the image start; it execs the
        // coordinator in its own place, so the process it leaves is the coordinator, with the environment it was given.
        var folder = TestFolders.Create("coordinator-launch");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoLayout.CoordinatorDirectory, "coordinator.sh"), "--urls", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["Volunteer__ApiKey"] = "launch-test-key",
                ["Volunteer__DataDirectory"] = Path.Combine(folder, "data"),
                ["Orleans__SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orleans__GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["DOTNET_GCgen0size"] = set,
            },
        };
        using var coordinator = Process.Start(start)!;
        coordinator.OutputDataReceived += (_, _) => { };
        coordinator.ErrorDataReceived += (_, _) => { };
        coordinator.BeginOutputReadLine();
        coordinator.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await AnswersAsync(http, url))
            {
                Assert.False(coordinator.HasExited, "The coordinator stopped before it answered.");
                Assert.True(DateTime.UtcNow < deadline, "The coordinator did not answer within 60 s.");
                await Task.Delay(200);
            }
            var environment = File.ReadAllText($"/proc/{coordinator.Id}/environ").Split('\0');
            Assert.Contains($"DOTNET_GCgen0size={expected}", environment);
            Assert.EndsWith("Volunteer.Coordinator.dll", File.ReadAllText($"/proc/{coordinator.Id}/cmdline").Split('\0')[1], StringComparison.Ordinal);
        }
        finally
        {
            coordinator.Kill(entireProcessTree: true);
            await coordinator.WaitForExitAsync();
            TestFolders.Delete(folder, output);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, string url)
    {
        try
        {
            return (await http.GetAsync($"{url}/health")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}

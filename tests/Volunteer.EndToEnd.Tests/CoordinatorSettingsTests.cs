using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>The coordinator reads the settings file beside its executable, wherever it is started from.</summary>
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
}

using Volunteer.Worker.Commands;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Xunit.Abstractions;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>Tests that change the process's environment or measure its heap, run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Changes the process's environment or measures its heap";
}

[Collection(ProcessWideCollection.Name)]
public sealed class ConfigurationPrecedenceTests(ITestOutputHelper output) : IDisposable
{
    private const string Variable = "Worker__CpuPercent";

    private readonly TempDirectory _state = new();

    [Fact]
    public void Defaults_then_the_settings_file_then_the_environment_then_the_command_line()
    {
        Assert.Equal(100, CpuPercent());

        File.WriteAllText(Path.Combine(_state.Path, "settings.json"), """{"Worker": {"CpuPercent": 30}}""");
        Assert.Equal(30, CpuPercent());

        Environment.SetEnvironmentVariable(Variable, "50");
        Assert.Equal(50, CpuPercent());

        Assert.Equal(70, CpuPercent("--cpu-percent", "70"));
    }

    [Fact]
    public async Task A_thousand_requests_on_the_control_socket_leave_the_heap_flat()
    {
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();
        await Ask(agent, 100);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Ask(agent, 1000);
        var elapsed = clock.Elapsed;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"1,000 requests, each on its own connection, in {elapsed.TotalMilliseconds:0} ms; managed heap {before / 1024.0 / 1024:0.00} -> {after / 1024.0 / 1024:0.00} MiB");

        // Each answer is about a kilobyte: a thousand kept would be a megabyte; the bound leaves room for the runtime's own caches.
        Assert.True(after - before < 512 * 1024, $"The heap grew from {before} to {after} bytes over 1,000 requests.");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Variable, null);
        _state.Dispose();
    }

    private int CpuPercent(params string[] args) =>
        ComputeLimits.From(new CommandLine(TextWriter.Null, TextWriter.Null).ConfigurationOf(["run", "--state-dir", _state.Path, .. args])).CpuPercent;

    /// <summary>Status, pause and resume, each on a connection of its own, as the commands ask.</summary>
    private static async Task Ask(GovernedAgent agent, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            using var client = await ControlClient.TryConnectAsync(agent.StateDirectory, CancellationToken.None) ?? throw new InvalidOperationException("No answer.");
            switch (i % 3)
            {
                case 0:
                    await client.StatusAsync(CancellationToken.None);
                    break;
                case 1:
                    await client.PauseAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
                    break;
                default:
                    await client.ResumeAsync(CancellationToken.None);
                    break;
            }
        }
    }
}

using System.Text.Json;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cli;

/// <summary>What one run of the volunteer tool did: its exit code, its stdout lines and its stderr lines.</summary>
public sealed record CliRun(string Command, int ExitCode, string[] Output, string[] Errors)
{
    /// <summary>Asserts the exit code and, when given, the exact stdout and stderr lines.</summary>
    public void Expect(int exitCode, string[]? output = null, string[]? errors = null)
    {
        Assert.True(ExitCode == exitCode, $"Expected exit code {exitCode}:\n{this}");
        if (output is not null)
        {
            Assert.Equal(output, Output);
        }
        if (errors is not null)
        {
            Assert.Equal(errors, Errors);
        }
    }

    public string Stdout => string.Join('\n', Output);

    /// <summary>Stdout parsed as one JSON document (for --json and result output).</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }

    public override string ToString() =>
        $"$ {Command} -> {ExitCode}\n{string.Join('\n', Output.Select(l => "  " + l).Concat(Errors.Select(l => "  [stderr] " + l)))}";
}

/// <summary>
/// The scientist's command line as a scientist runs it: the built volunteer program (or, given
/// <paramref name="executable"/>, a published single-file one) as a process of its own, pointed at a coordinator by the
/// environment (VOLUNTEER_COORDINATOR, VOLUNTEER_API_KEY), from a working folder of the test's.
/// </summary>
public sealed class VolunteerCli(CoordinatorProcess coordinator, string workingDirectory, ITestOutputHelper output, string? executable = null)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private const string StderrMark = "[stderr] ";

    /// <summary>The tool as the build leaves it (the end-to-end project references it, so it is built in the same configuration).</summary>
    public static string Dll
    {
        get
        {
            var path = Path.Combine(RepoLayout.Root, "coordinator", "Volunteer.Cli", "bin", RepoLayout.Configuration, "net10.0", "volunteer.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing; build the solution in {RepoLayout.Configuration} first.", path);
        }
    }

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>Runs volunteer with <paramref name="args"/> to its end.</summary>
    public async Task<CliRun> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        var exitCode = await process.WaitForExitAsync(CommandTimeout);
        return Finished(process, args, exitCode);
    }

    /// <summary>Starts volunteer with <paramref name="args"/> and leaves it running (e.g. jobs watch); <see cref="Finished"/> reads it once it has exited.</summary>
    public ChildProcess Start(params string[] args) =>
        ChildProcess.Start($"volunteer {string.Join(' ', args.Take(2))}", executable ?? RepoLayout.DotnetHost, executable is null ? [Dll, .. args] : args, WorkingDirectory,
            executable is null ? Environment() : new Dictionary<string, string>(Environment())
            {
                // No dotnet on the PATH and no DOTNET_ROOT to find one by: a self-contained executable needs neither.
                ["PATH"] = "/nonexistent",
                ["DOTNET_ROOT"] = "/nonexistent",
            });

    private Dictionary<string, string> Environment() => new()
    {
        ["VOLUNTEER_COORDINATOR"] = coordinator.BaseAddress.ToString(),
        ["VOLUNTEER_API_KEY"] = coordinator.ApiKey,
    };

    public CliRun Finished(ChildProcess process, string[] args, int exitCode)
    {
        var lines = process.Lines;
        var run = new CliRun(
            "volunteer " + string.Join(' ', args),
            exitCode,
            [.. lines.Where(l => !l.StartsWith(StderrMark, StringComparison.Ordinal))],
            [.. lines.Where(l => l.StartsWith(StderrMark, StringComparison.Ordinal)).Select(l => l[StderrMark.Length..])]);
        output.WriteLine(run.ToString());
        return run;
    }

    /// <summary>Writes <paramref name="content"/> to a file in the working folder; returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(WorkingDirectory, name);
        File.WriteAllText(path, content);
        return path;
    }
}

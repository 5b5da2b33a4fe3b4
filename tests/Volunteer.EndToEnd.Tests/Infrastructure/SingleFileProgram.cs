using System.Runtime.InteropServices;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A program as its users get it: the self-contained single-file executable for this machine, published once for the
/// test run by its infra/publish-*.sh script (as a release is), or the one an environment variable names (a release to
/// try, say). Each program's fixture derives from this one.
/// </summary>
public abstract class SingleFileProgram(string script, string artifacts, string executable, string variable) : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

    private string? _path;

    /// <summary>The variable that names an executable to test instead of publishing one.</summary>
    public string ExecutableVariable => variable;

    /// <summary>The executable's full path.</summary>
    public string Path => _path ?? throw new InvalidOperationException($"The single-file {executable} is published when the fixture initializes.");

    /// <summary>How the executable was had, for the test output.</summary>
    public string Origin { get; private set; } = "";

    /// <summary>This machine's runtime identifier as the publish scripts take it (the packaging tests run on Linux).</summary>
    public static string RuntimeIdentifier => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        var other => throw new PlatformNotSupportedException($"No single-file executable is published for Linux on {other}."),
    };

    public async Task InitializeAsync()
    {
        Assert.True(OperatingSystem.IsLinux(), "The packaging tests run the Linux executables.");
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } given)
        {
            Assert.True(File.Exists(given), $"{variable}={given} names no file.");
            _path = System.IO.Path.GetFullPath(given);
            Origin = $"{variable}={given}";
            return;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var publish = ChildProcess.Start(
            script, "bash", [System.IO.Path.Combine(RepoLayout.Root, "infra", script), RuntimeIdentifier],
            RepoLayout.Root, new Dictionary<string, string>());
        var exitCode = await publish.WaitForExitAsync(PublishTimeout);
        Assert.True(exitCode == 0, $"infra/{script} {RuntimeIdentifier} exited with {exitCode}.\n{publish.Tail(60)}");
        _path = System.IO.Path.Combine(RepoLayout.Root, "artifacts", artifacts, RuntimeIdentifier, executable);
        Assert.True(File.Exists(_path), $"infra/{script} made no {_path}.\n{publish.Tail(60)}");
        Origin = $"published by infra/{script} {RuntimeIdentifier} in {started.Elapsed.TotalSeconds:0} s: {string.Join(" ", publish.Lines)}";
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

using System.Runtime.InteropServices;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// The worker agent as volunteers get it: the self-contained single-file executable for this machine, published once
/// for the test run by infra/publish-worker.sh (as a release is), or the one VOLUNTEER_TEST_WORKER_EXE names (a
/// release to try, say). Shared by the test classes of <see cref="SingleFileWorkerCollection"/>.
/// </summary>
public sealed class SingleFileWorker : IAsyncLifetime
{
    public const string ExecutableVariable = "VOLUNTEER_TEST_WORKER_EXE";

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

    private string? _path;

    /// <summary>The executable's full path.</summary>
    public string Path => _path ?? throw new InvalidOperationException("The single-file worker is published when the fixture initializes.");

    /// <summary>How the executable was had, for the test output.</summary>
    public string Origin { get; private set; } = "";

    /// <summary>This machine's runtime identifier as infra/publish-worker.sh takes it (the packaging tests run on Linux).</summary>
    public static string RuntimeIdentifier => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        var other => throw new PlatformNotSupportedException($"No single-file worker is published for Linux on {other}."),
    };

    public async Task InitializeAsync()
    {
        Assert.True(OperatingSystem.IsLinux(), "The packaging tests run the Linux executable and the systemd install script.");
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } given)
        {
            Assert.True(File.Exists(given), $"{ExecutableVariable}={given} names no file.");
            _path = System.IO.Path.GetFullPath(given);
            Origin = $"{ExecutableVariable}={given}";
            return;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var publish = ChildProcess.Start(
            "publish-worker", "bash", [System.IO.Path.Combine(RepoLayout.Root, "infra", "publish-worker.sh"), RuntimeIdentifier],
            RepoLayout.Root, new Dictionary<string, string>());
        var exitCode = await publish.WaitForExitAsync(PublishTimeout);
        Assert.True(exitCode == 0, $"infra/publish-worker.sh {RuntimeIdentifier} exited with {exitCode}.\n{publish.Tail(60)}");
        _path = System.IO.Path.Combine(RepoLayout.Root, "artifacts", "worker", RuntimeIdentifier, "volunteer-worker");
        Assert.True(File.Exists(_path), $"infra/publish-worker.sh made no {_path}.\n{publish.Tail(60)}");
        Origin = $"published by infra/publish-worker.sh {RuntimeIdentifier} in {started.Elapsed.TotalSeconds:0} s: {string.Join(" ", publish.Lines)}";
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>The test classes that run the single-file executable: it is published once for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class SingleFileWorkerCollection : ICollectionFixture<SingleFileWorker>
{
    public const string Name = "single-file worker";
}

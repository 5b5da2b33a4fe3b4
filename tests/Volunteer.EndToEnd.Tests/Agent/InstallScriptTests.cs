using System.Security.Cryptography;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// infra/install-worker.sh in a scratch root (--root): install writes exactly the executable, the systemd units and the
/// state directory, with the unit's priority and sandbox lines; uninstall removes all of it and nothing else; bad input
/// changes nothing.
/// </summary>
[Collection(SingleFileWorkerCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstallScriptTests(SingleFileWorker worker, ITestOutputHelper output) : IDisposable
{
    private const string Executable = "usr/local/bin/volunteer-worker";
    private const string Service = "etc/systemd/system/volunteer-worker.service";
    private const string PathUnit = "etc/systemd/system/volunteer-worker.path";
    private const string StateDirectory = "var/lib/volunteer-worker";

    private static readonly string Script = Path.Combine(RepoLayout.Root, "infra", "install-worker.sh");

    private readonly string _root = TestFolders.Create("install-root");

    /// <summary>What would run on a real system, in order, as install prints it under --root.</summary>
    private static readonly string[] InstallWouldRun =
    [
        "would run: systemctl daemon-reload",
        "would run: systemctl enable volunteer-worker.service",
        "would run: systemctl enable --now volunteer-worker.path",
    ];

    [Fact]
    public async Task Install_writes_the_executable_the_units_and_the_state_directory_and_nothing_else()
    {
        var (exitCode, lines) = await RunAsync("install", "--root", _root, "--binary", worker.Path);

        Assert.True(exitCode == 0, string.Join('\n', lines));
        Assert.Equal([PathUnit, Service, Executable], FilesIn(_root));
        Assert.Equal(
            ["etc", "etc/systemd", "etc/systemd/system", "usr", "usr/local", "usr/local/bin", "var", "var/lib", StateDirectory],
            FoldersIn(_root));
        Assert.Equal(Digest(worker.Path), Digest(Path.Combine(_root, Executable)));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(_root, Executable)));
        // The state directory holds the host's key: its user's and group's only.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(Path.Combine(_root, StateDirectory)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, StateDirectory)));
        Assert.Equal(InstallWouldRun, lines.Where(l => l.StartsWith("would run: ", StringComparison.Ordinal)));
        Assert.Equal("  sudo -u volunteer-worker volunteer-worker attach URL --account KEY --state-dir /var/lib/volunteer-worker", lines[^1]);
    }

    [Fact]
    public async Task The_installed_service_runs_the_executable_at_the_lowest_priority_sandboxed_to_its_state_directory()
    {
        var (exitCode, lines) = await RunAsync("install", "--root", _root, "--binary", worker.Path);
        Assert.True(exitCode == 0, string.Join('\n', lines));

        var unit = File.ReadAllText(Path.Combine(_root, Service));
        // The unit in the repository is the one installed: the script carries a copy so it installs on its own.
        Assert.Equal(File.ReadAllText(Path.Combine(RepoLayout.Root, "infra", "systemd", "volunteer-worker.service")), unit);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoLayout.Root, "infra", "systemd", "volunteer-worker.path")), File.ReadAllText(Path.Combine(_root, PathUnit)));
        var settings = unit.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('[')).ToList();
        Assert.Subset(settings.ToHashSet(),
            new HashSet<string>
            {
                "User=volunteer-worker",
                "ExecStart=/usr/local/bin/volunteer-worker run --state-dir /var/lib/volunteer-worker",
                "StateDirectory=volunteer-worker",
                // Lowest priority.
                "Nice=19",
                "CPUSchedulingPolicy=idle",
                "IOSchedulingClass=idle",
                "CPUWeight=1",
                // Sandboxed to its state directory.
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                "ProtectHome=yes",
                "PrivateTmp=yes",
                "ReadWritePaths=/var/lib/volunteer-worker",
                "ProtectKernelTunables=yes",
                "ProtectKernelModules=yes",
                "ProtectKernelLogs=yes",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                // Stopped with SIGTERM, which the agent answers within 5 s; killed past 10.
                "KillSignal=SIGTERM",
                "TimeoutStopSec=10",
            });
        // The JIT writes the code it runs: a unit that forbade it would never start the agent.
        Assert.DoesNotContain(settings, l => l.StartsWith("MemoryDenyWriteExecute", StringComparison.Ordinal));
        // Exactly one writable path beside the state directory systemd makes.
        Assert.Single(settings, l => l.StartsWith("ReadWritePaths=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Installing_again_changes_nothing_and_uninstall_removes_all_install_wrote_and_nothing_else()
    {
        // What the scratch root held before: a file beside the executable and a unit beside the service's.
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "usr/local/bin")).FullName, "other-tool"), "#!/bin/sh\n");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "etc/systemd/system")).FullName, "other.service"), "[Unit]\n");
        var before = FilesIn(_root);

        Assert.Equal(0, (await RunAsync("install", "--root", _root, "--binary", worker.Path)).ExitCode);
        var installed = Snapshot(_root);
        Assert.Equal(0, (await RunAsync("install", "--root", _root, "--binary", worker.Path)).ExitCode);
        Assert.Equal(installed, Snapshot(_root));

        var (exitCode, lines) = await RunAsync("uninstall", "--root", _root);
        Assert.True(exitCode == 0, string.Join('\n', lines));
        Assert.Equal(
            ["would run: systemctl disable --now volunteer-worker.path", "would run: systemctl disable --now volunteer-worker.service", "would run: systemctl daemon-reload"],
            lines.Where(l => l.StartsWith("would run: ", StringComparison.Ordinal)));
        // The state directory (attached projects, work not yet reported) is kept without --purge.
        Assert.Equal(before, FilesIn(_root));
        Assert.True(Directory.Exists(Path.Combine(_root, StateDirectory)));

        Assert.Equal(0, (await RunAsync("uninstall", "--root", _root, "--purge")).ExitCode);
        Assert.Equal(before, FilesIn(_root));
        Assert.Equal(["etc", "etc/systemd", "etc/systemd/system", "usr", "usr/local", "usr/local/bin"], FoldersIn(_root));
    }

    [Fact]
    public async Task Uninstall_with_purge_leaves_an_empty_scratch_root_empty()
    {
        Assert.Equal(0, (await RunAsync("install", "--root", _root, "--binary", worker.Path)).ExitCode);
        // The agent's state, as an attach and a run would leave it.
        var project = Directory.CreateDirectory(Path.Combine(_root, StateDirectory, "projects", "127.0.0.1_5080")).FullName;
        File.WriteAllText(Path.Combine(project, "identity.json"), "{}");

        Assert.Equal(0, (await RunAsync("uninstall", "--root", _root, "--purge")).ExitCode);

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Theory]
    [InlineData("not executable")]
    [InlineData("missing")]
    [InlineData("unknown option")]
    [InlineData("bad digest")]
    [InlineData("wrong digest")]
    public async Task A_bad_install_is_refused_and_writes_nothing(string kind)
    {
        var text = Path.Combine(TestFolders.Create("install-input"), "volunteer-worker");
        File.WriteAllText(text, "not a program\n");
        string[] arguments = kind switch
        {
            "not executable" => ["install", "--root", _root, "--binary", text],
            "missing" => ["install", "--root", _root, "--binary", Path.Combine(_root, "no-such-file")],
            "unknown option" => ["install", "--root", _root, "--binary", worker.Path, "--user", "root"],
            "bad digest" => ["install", "--root", _root, "--binary", worker.Path, "--sha256", "abc"],
            "wrong digest" => ["install", "--root", _root, "--binary", worker.Path, "--sha256", new string('0', 64)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        try
        {
            var (exitCode, lines) = await RunAsync(arguments);

            Assert.Equal(kind is "unknown option" or "bad digest" ? 2 : 1, exitCode);
            Assert.Contains(lines, l => l.StartsWith("[stderr] install-worker.sh: ", StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
        }
        finally
        {
            TestFolders.Delete(Path.GetDirectoryName(text)!, output);
        }
    }

    public void Dispose() => TestFolders.Delete(_root, output);

    private async Task<(int ExitCode, IReadOnlyList<string> Lines)> RunAsync(params string[] arguments)
    {
        await using var script = ChildProcess.Start("install-worker.sh", "bash", [Script, .. arguments], _root, new Dictionary<string, string>());
        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine(script.Tail());
        return (exitCode, script.Lines);
    }

    /// <summary>Every file under <paramref name="root"/>, relative, sorted.</summary>
    private static List<string> FilesIn(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    private static List<string> FoldersIn(string root) =>
        [.. Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    /// <summary>Each file's path, mode and content digest.</summary>
    private static List<string> Snapshot(string root) =>
        [.. FilesIn(root).Select(f => $"{f} {File.GetUnixFileMode(Path.Combine(root, f))} {Digest(Path.Combine(root, f))}")];

    private static string Digest(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }
}

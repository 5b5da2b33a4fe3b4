using Volunteer.EndToEnd.Tests.Infrastructure;
using Volunteer.Sdk;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cli;

/// <summary>The volunteer tool as scientists get it: published by infra/publish-cli.sh, or the one VOLUNTEER_TEST_CLI_EXE names.</summary>
public sealed class SingleFileCli() : SingleFileProgram("publish-cli.sh", "cli", "volunteer", "VOLUNTEER_TEST_CLI_EXE");

/// <summary>
/// The single-file volunteer tool, run from a folder of its own with no .NET in sight, against a real coordinator: it
/// uploads, registers the example primes module and relays the coordinator's refusals as the built tool does.
/// </summary>
public sealed class CliPackagingTests(SingleFileCli tool, ITestOutputHelper output) : IClassFixture<SingleFileCli>, IAsyncLifetime
{
    private readonly string _folder = TestFolders.Create("cli-packaged");
    private CoordinatorProcess _coordinator = null!;
    private VolunteerCli _cli = null!;

    public async Task InitializeAsync()
    {
        output.WriteLine($"volunteer: {tool.Origin}");
        _coordinator = new CoordinatorProcess("coordinator", Path.Combine(_folder, "coordinator"), $"cli-packaged-{Guid.NewGuid():N}", new Dictionary<string, string>());
        await _coordinator.StartAsync();
        _cli = new VolunteerCli(_coordinator, Directory.CreateDirectory(Path.Combine(_folder, "scientist")).FullName, output, tool.Path);
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_coordinator.Tail(20));
        await _coordinator.DisposeAsync();
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task The_single_file_tool_uploads_registers_and_relays_refusals_without_dotnet()
    {
        var module = WasmModules.Example("primes");
        File.WriteAllBytes(Path.Combine(_cli.WorkingDirectory, "primes.wasm"), module);
        _cli.WriteFile("unknown-app.json", """{"app": "no-such-app", "parameters": {}}""");

        var uploaded = await _cli.RunAsync("blobs", "upload", "primes.wasm");
        var registered = await _cli.RunAsync("apps", "register", "--name", "primes-wasm", "--version", "1.0.0", "--module", "primes.wasm");
        var shown = await _cli.RunAsync("apps", "show", "primes-wasm@1.0.0", "--json");
        var unknownApp = await _cli.RunAsync("jobs", "submit", "unknown-app.json");
        var usage = await _cli.RunAsync("jobs", "resubmit");

        uploaded.Expect(0, [ContentDigest.Of(module)]);
        registered.Expect(0);
        Assert.Equal("Registered primes-wasm@1.0.0", registered.Output[0]);
        Assert.Equal(ContentDigest.Of(module), shown.Json().GetProperty("module").GetString());
        unknownApp.Expect(1, [], ["Unknown app 'no-such-app'. Known apps: primes, checksum, mandelbrot, motifs, primes-wasm (latest primes-wasm@1.0.0)."]);
        Assert.Equal(2, usage.ExitCode);
    }
}

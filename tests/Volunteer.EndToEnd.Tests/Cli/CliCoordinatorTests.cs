using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cli;

/// <summary>
/// The volunteer tool against a real coordinator process with no workers: blob uploads (digest, resuming, a second
/// upload) and bad input, which fails with the coordinator's own message (exit 1) or as a usage error (exit 2).
/// </summary>
public sealed class CliCoordinatorTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = TestFolders.Create("cli");
    private CoordinatorProcess _coordinator = null!;
    private VolunteerCli _cli = null!;

    public async Task InitializeAsync()
    {
        _coordinator = new CoordinatorProcess("coordinator", Path.Combine(_folder, "coordinator"), $"cli-{Guid.NewGuid():N}", new Dictionary<string, string>());
        await _coordinator.StartAsync();
        _cli = new VolunteerCli(_coordinator, Directory.CreateDirectory(Path.Combine(_folder, "scientist")).FullName, output);
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_coordinator.Tail(20));
        await _coordinator.DisposeAsync();
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task Blobs_upload_prints_the_files_digest_resumes_an_interrupted_upload_and_sends_nothing_the_second_time()
    {
        // Three chunks: two whole MiBs and a part.
        var content = RandomNumberGenerator.GetBytes(2 * BlobManifest.DefaultChunkSize + 12_345);
        var path = Path.Combine(_cli.WorkingDirectory, "sequence.dna");
        await File.WriteAllBytesAsync(path, content);
        var digest = ContentDigest.Of(content);

        // An upload cut off after its manifest and its middle chunk, as an interrupted client leaves it.
        var manifest = BlobManifest.Of(content);
        using (var http = new HttpClient { BaseAddress = _coordinator.BaseAddress })
        {
            http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, _coordinator.ApiKey);
            using var begun = await http.PostAsJsonAsync(Routes.Blobs, manifest, ProtocolJson.Options);
            Assert.Equal(HttpStatusCode.Created, begun.StatusCode);
            using var chunk = new ByteArrayContent(content, BlobManifest.DefaultChunkSize, BlobManifest.DefaultChunkSize);
            using var put = await http.PutAsync(Routes.BlobChunk(digest, 1), chunk);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var resumed = await _cli.RunAsync("blobs", "upload", "sequence.dna", "--json");
        var again = await _cli.RunAsync("blobs", "upload", path);

        Assert.Equal(0, resumed.ExitCode);
        var figures = resumed.Json();
        Assert.Equal(digest, figures.GetProperty("digest").GetString());
        Assert.Equal(content.Length, figures.GetProperty("size").GetInt64());
        Assert.Equal((3, 2, 1), (figures.GetProperty("chunks").GetInt32(), figures.GetProperty("chunksSent").GetInt32(), figures.GetProperty("chunksAlreadyThere").GetInt32()));
        again.Expect(0, [digest], []);
        Assert.Equal(content, await _coordinator.DownloadBlobAsync(digest));
    }

    [Fact]
    public async Task A_blob_is_uploaded_and_downloaded_back_checked_and_a_missing_file_fails()
    {
        var content = RandomNumberGenerator.GetBytes(70_000);
        await File.WriteAllBytesAsync(Path.Combine(_cli.WorkingDirectory, "input.bin"), content);

        var uploaded = await _cli.RunAsync("blobs", "upload", "input.bin");
        var downloaded = await _cli.RunAsync("blobs", "download", ContentDigest.Of(content), "-o", "copy.bin");
        var missing = await _cli.RunAsync("blobs", "upload", "no-such-file.bin");
        var unknown = await _cli.RunAsync("blobs", "download", ContentDigest.Of([1, 2, 3]), "-o", "never.bin");

        uploaded.Expect(0, [ContentDigest.Of(content)]);
        downloaded.Expect(0, ["Wrote copy.bin (70000 bytes)."]);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_cli.WorkingDirectory, "copy.bin")));
        missing.Expect(1, [], ["There is no file no-such-file.bin."]);
        unknown.Expect(1, errors: [$"There is no complete blob {ContentDigest.Of([1, 2, 3])}."]);
        // A refused download leaves no file, not even a partial one.
        Assert.Equal(["copy.bin", "input.bin"], Directory.GetFiles(_cli.WorkingDirectory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Bad_input_fails_with_the_coordinators_message_or_as_a_usage_error_and_submits_nothing()
    {
        _cli.WriteFile("malformed.json", """{"app": "primes", "parameters": {"from": 0, "to": 100""");
        _cli.WriteFile("misspelt.json", """{"app": "primes", "parametres": {"from": 0, "to": 100, "unitSize": 10}}""");
        _cli.WriteFile("unknown-app.json", """{"app": "no-such-app", "parameters": {}}""");
        _cli.WriteFile("bad-parameters.json", """{"app": "primes", "parameters": {"from": 100, "to": 0, "unitSize": 10}}""");

        var missingSpec = await _cli.RunAsync("jobs", "submit", "absent.json");
        var malformed = await _cli.RunAsync("jobs", "submit", "malformed.json");
        var misspelt = await _cli.RunAsync("jobs", "submit", "misspelt.json");
        var unknownApp = await _cli.RunAsync("jobs", "submit", "unknown-app.json");
        var badParameters = await _cli.RunAsync("jobs", "submit", "bad-parameters.json");
        var unknownOption = await _cli.RunAsync("jobs", "submit", "unknown-app.json", "--priority", "5");
        var unknownCommand = await _cli.RunAsync("jobs", "resubmit");
        var notAnId = await _cli.RunAsync("jobs", "watch", "42");
        var noSuchJob = await _cli.RunAsync("jobs", "result", "00000000-0000-0000-0000-000000000001");
        var badKey = await _cli.RunAsync("jobs", "list", "--api-key", "not-the-key");
        var badUrl = await _cli.RunAsync("jobs", "list", "--coordinator", "ftp://example/");
        var listed = await _cli.RunAsync("jobs", "list", "--json");

        missingSpec.Expect(1, [], ["There is no job spec file absent.json."]);
        Assert.Equal(1, malformed.ExitCode);
        Assert.StartsWith("malformed.json is not a job spec (", Assert.Single(malformed.Errors), StringComparison.Ordinal);
        Assert.Equal(1, misspelt.ExitCode);
        Assert.Contains("'parametres'", Assert.Single(misspelt.Errors), StringComparison.Ordinal);
        unknownApp.Expect(1, [], ["Unknown app 'no-such-app'. Known apps: primes, checksum, mandelbrot, motifs."]);
        Assert.Equal(1, badParameters.ExitCode);
        Assert.StartsWith("Invalid parameters for app 'primes': ", Assert.Single(badParameters.Errors), StringComparison.Ordinal);
        Assert.Equal((2, 2, 2), (unknownOption.ExitCode, unknownCommand.ExitCode, notAnId.ExitCode));
        Assert.Contains("Unrecognized command or argument '--priority'.", unknownOption.Errors);
        Assert.Equal("See 'volunteer jobs submit --help'.", unknownOption.Errors[^1]);
        noSuchJob.Expect(1, errors: ["There is no job 00000000-0000-0000-0000-000000000001."]);
        badKey.Expect(1, errors: ["The API key is not recognised."]);
        badUrl.Expect(2, errors: ["--coordinator: 'ftp://example/' is not an http:// or https:// URL."]);
        // Nothing was submitted.
        Assert.Equal((0, 0), (listed.ExitCode, listed.Json().GetArrayLength()));
    }

    [Fact]
    public async Task Help_is_given_for_every_command_with_examples()
    {
        string[][] commands =
        [
            [], ["blobs"], ["blobs", "upload"], ["blobs", "download"], ["apps"], ["apps", "register"], ["apps", "list"], ["apps", "show"],
            ["jobs"], ["jobs", "submit"], ["jobs", "list"], ["jobs", "show"], ["jobs", "watch"], ["jobs", "result"], ["jobs", "cancel"],
        ];
        foreach (var command in commands)
        {
            var help = await _cli.RunAsync([.. command, "--help"]);
            Assert.Equal(0, help.ExitCode);
            Assert.Contains($"Usage:\n  volunteer {string.Join(' ', command)}".TrimEnd(), help.Stdout, StringComparison.Ordinal);
            if (command.Length != 1)
            {
                Assert.Contains("Example", help.Stdout, StringComparison.Ordinal);
            }
        }
    }
}

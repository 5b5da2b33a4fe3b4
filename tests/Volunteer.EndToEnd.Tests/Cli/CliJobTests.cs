using System.Text.Json;
using Volunteer.Apps.Mandelbrot;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Cli;

/// <summary>
/// A scientist's session with the volunteer tool against a real coordinator and real worker processes: submit from a
/// spec file, watch to the end, read the result (JSON, or mandelbrot's PNG with -o), list, cancel.
/// </summary>
public sealed class CliJobTests(ITestOutputHelper output)
{
    /// <summary>The primes below 10^6 (a fact nobody here invented).</summary>
    private const long PrimesBelowOneMillion = 78_498;

    /// <summary>volunteer's exit code when it is interrupted (Ctrl+C, SIGTERM).</summary>
    private const int ExitCodeInterrupted = 130;

    [Fact]
    public async Task A_primes_job_is_submitted_from_a_spec_watched_to_completion_listed_and_its_result_read_and_a_mandelbrot_png_downloaded()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var cli = Cli(cluster);
        cli.WriteFile("primes.json", """
            {
              "app": "primes",
              "parameters": {"from": 0, "to": 1000000, "unitSize": 100000},
              "redundancy": {"targetResults": 2, "minQuorum": 2},
              "adaptive": false
            }
            """);

        var submitted = await cli.RunAsync("jobs", "submit", "primes.json");
        Assert.Equal(0, submitted.ExitCode);
        var jobId = Guid.Parse(Assert.Single(submitted.Output));
        cluster.StartWorkers();
        var watched = await cli.RunAsync("jobs", "watch", jobId.ToString(), "--interval", "0.3");
        var result = await cli.RunAsync("jobs", "result", jobId.ToString());
        var toFile = await cli.RunAsync("jobs", "result", jobId.ToString(), "-o", "primes-result.json");
        var listed = await cli.RunAsync("jobs", "list");
        var listedJson = await cli.RunAsync("jobs", "list", "--state", "Completed", "--json");
        var shown = await cli.RunAsync("jobs", "show", jobId.ToString(), "--json");

        Assert.True(watched.ExitCode == 0, $"{watched}\n{cluster.Diagnostics()}");
        Assert.Equal($"Job {jobId} completed: 10 of 10 units done, 0 in progress, 0 failed.", watched.Output[^1]);
        // A line whenever the job moved, the last of them when it completed.
        Assert.All(watched.Output[..^2], line => Assert.StartsWith("Running ", line, StringComparison.Ordinal));
        Assert.Equal("Completed 100.0%: 10 of 10 units done, 0 in progress, 0 failed", watched.Output[^2]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(PrimesBelowOneMillion, result.Json().GetProperty("primeCount").GetInt64());
        toFile.Expect(0, ["Wrote primes-result.json."]);
        using (var written = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cli.WorkingDirectory, "primes-result.json"))))
        {
            Assert.Equal(PrimesBelowOneMillion, written.RootElement.GetProperty("primeCount").GetInt64());
        }
        Assert.Equal(["JOB", "APP", "STATE", "PROGRESS", "UNITS", "FAILED", "CREATED"], Columns(listed.Output[0]));
        Assert.Equal([jobId.ToString(), "primes", "Completed", "100.0%", "10/10", "0"], Columns(Assert.Single(listed.Output[1..]))[..6]);
        Assert.Equal(jobId, Assert.Single(listedJson.Json().EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(PrimesBelowOneMillion, shown.Json().GetProperty("result").GetProperty("primeCount").GetInt64());

        // A job whose result is a file: -o downloads the PNG itself, which matches the one-process render pixel for pixel.
        var region = new { centerX = -0.7436, centerY = 0.1318, scale = 0.02, width = 512, height = 256, maxIterations = 300, tileSize = 256 };
        cli.WriteFile("mandelbrot.json", JsonSerializer.Serialize(new { app = MandelbrotApp.AppName, parameters = region, adaptive = false }));
        var image = await cli.RunAsync("jobs", "submit", "mandelbrot.json");
        var imageId = Assert.Single(image.Output);
        var imageWatched = await cli.RunAsync("jobs", "watch", imageId, "--interval", "0.3");
        var png = await cli.RunAsync("jobs", "result", imageId, "-o", "mandelbrot.png");
        var imageJson = await cli.RunAsync("jobs", "result", imageId, "--json");

        Assert.True(imageWatched.ExitCode == 0, $"{imageWatched}\n{cluster.Diagnostics()}");
        Assert.Equal(0, png.ExitCode);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(cli.WorkingDirectory, "mandelbrot.png"));
        Assert.Equal([$"Wrote mandelbrot.png ({bytes.Length} bytes, image/png)."], png.Output);
        var (width, height, rgb) = PngDecoder.Decode(bytes);
        Assert.Equal((512, 256), (width, height));
        Assert.Equal(MandelbrotApp.RenderImage(JsonSerializer.SerializeToElement(region)), rgb);
        var file = imageJson.Json().GetProperty("file");
        Assert.Equal(("image/png", bytes.Length), (file.GetProperty("contentType").GetString(), file.GetProperty("size").GetInt64()));
    }

    [Fact]
    public async Task A_long_job_is_cancelled_while_watched_and_the_watch_exits_1()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var cli = Cli(cluster);
        // Far more work than the test lasts: units of 10^9 numbers each.
        cli.WriteFile("long.json", """{"app": "primes", "parameters": {"from": 0, "to": 100000000000000, "unitSize": 1000000000}}""");
        var submitted = await cli.RunAsync("jobs", "submit", "long.json");
        var jobId = Assert.Single(submitted.Output);
        cluster.StartWorkers();
        string[] watchArgs = ["jobs", "watch", jobId, "--interval", "0.2"];
        await using var watch = cli.Start(watchArgs);
        await Eventually.WaitAsync("the workers to hold leased units", async () =>
        {
            var shown = await cli.RunAsync("jobs", "show", jobId, "--json");
            return shown.Json().GetProperty("units").GetProperty("inProgress").GetInt64() > 0 ? "leased" : null;
        }, () => cluster.Diagnostics());

        // A watch stopped (SIGTERM, as Ctrl+C) stops watching only: exit 130, and the job runs on.
        string[] interruptedArgs = ["jobs", "watch", jobId];
        await using (var interrupted = cli.Start(interruptedArgs))
        {
            await Eventually.UntilAsync("the watch to print the job's progress", () => interrupted.Lines.Count > 0, () => interrupted.Tail());
            PosixSignals.Terminate(interrupted.Id);
            var stopped = cli.Finished(interrupted, interruptedArgs, await interrupted.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            stopped.Expect(ExitCodeInterrupted, errors: ["Interrupted."]);
            Assert.StartsWith("Running ", Assert.Single(stopped.Output), StringComparison.Ordinal);
        }
        Assert.Equal("Running", (await cli.RunAsync("jobs", "show", jobId, "--json")).Json().GetProperty("state").GetString());

        var cancelled = await cli.RunAsync("jobs", "cancel", jobId);
        var watched = cli.Finished(watch, watchArgs, await watch.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var shownAfter = await cli.RunAsync("jobs", "show", jobId);
        var again = await cli.RunAsync("jobs", "cancel", jobId);
        var noResult = await cli.RunAsync("jobs", "result", jobId);

        Assert.Equal(0, cancelled.ExitCode);
        Assert.StartsWith($"Job {jobId} is Cancelled: ", Assert.Single(cancelled.Output), StringComparison.Ordinal);
        Assert.Equal(1, watched.ExitCode);
        Assert.StartsWith($"Job {jobId} was cancelled: ", Assert.Single(watched.Errors), StringComparison.Ordinal);
        Assert.StartsWith("Cancelled ", watched.Output[^1], StringComparison.Ordinal);
        Assert.Contains("state:      Cancelled", shownAfter.Output);
        again.Expect(1, errors: [$"Job {jobId} is already Cancelled."]);
        noResult.Expect(1, errors: [$"Job {jobId} is Cancelled; a result exists only once it has completed."]);
    }

    private VolunteerCli Cli(VolunteerCluster cluster) =>
        new(cluster.Coordinator, Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(cluster.Coordinator.DataDirectory)!, "scientist")).FullName, output);

    private static string[] Columns(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

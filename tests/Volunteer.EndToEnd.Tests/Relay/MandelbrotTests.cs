using System.Text.Json;
using Volunteer.Apps.Mandelbrot;
using Volunteer.Protocol;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>
/// Mandelbrot tiles (192 KiB each, three times the inline limit) stay on the workers that computed them until they are
/// canonical; the coordinator then takes one copy: pulled from a holder's peer endpoint, or uploaded on request by a
/// holder it cannot reach (a volunteer behind NAT serves nothing). The job's PNG equals the one-process render.
/// </summary>
public sealed class MandelbrotTests(ITestOutputHelper output)
{
    private static readonly JsonElement Region = JsonSerializer.SerializeToElement(new
    {
        centerX = -0.7436,
        centerY = 0.1318,
        scale = 0.02,
        width = 768,
        height = 512,
        maxIterations = 600,
        tileSize = 256,
    });

    [Fact]
    public async Task Tiles_are_pulled_from_the_workers_peer_endpoints_and_the_png_matches_the_one_process_render()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        var relay = await RenderAsync(cluster);
        Assert.Equal(6, relay.ResultsPulled);
    }

    [Fact]
    public async Task Workers_serving_nothing_still_compute_and_their_tiles_are_uploaded_on_request()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 3);
        foreach (var worker in cluster.Workers)
        {
            // As behind NAT: no peer endpoint, so the coordinator can pull nothing and asks for uploads instead.
            worker.RunArguments.Add("--no-serve");
        }
        var relay = await RenderAsync(cluster);
        Assert.Equal(6, relay.ResultsPulled);
        Assert.All(cluster.Workers, w => Assert.DoesNotContain(w.Lines, l => l.Contains("Peer endpoint listening", StringComparison.Ordinal)));
    }

    /// <summary>Runs a 768×512 job of six tiles with quorum 2 on the cluster's workers and checks its PNG pixel for pixel.</summary>
    private static async Task<JobRelayFigures> RenderAsync(VolunteerCluster cluster)
    {
        var coordinator = cluster.Coordinator;
        var submitted = await cluster.SubmitAsync(coordinator, new
        {
            app = MandelbrotApp.AppName,
            parameters = Region,
            redundancy = new { targetResults = 2, minQuorum = 2 },
            adaptive = false,
        });
        Assert.Equal(6, submitted.UnitCount);
        cluster.StartWorkers();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);
        Assert.True(finished.State == "Completed", $"The job ended {finished.State}: {finished.Json}\n{cluster.Diagnostics()}");

        var file = (await coordinator.GetJsonAsync(Routes.JobResult(submitted.Id))).GetProperty("file");
        Assert.Equal("image/png", file.GetProperty("contentType").GetString());
        var png = await coordinator.DownloadBlobAsync(file.GetProperty("digest").GetString()!);
        Assert.Equal(file.GetProperty("size").GetInt64(), png.Length);
        var (width, height, rgb) = PngDecoder.Decode(png);
        Assert.Equal((768, 512), (width, height));
        var reference = MandelbrotApp.RenderImage(Region);
        Assert.Equal(reference.Length, rgb.Length);
        var firstDifference = Enumerable.Range(0, rgb.Length).FirstOrDefault(i => rgb[i] != reference[i], -1);
        Assert.True(firstDifference < 0, $"The PNG differs from the one-process render at pixel {firstDifference / 3} (x {firstDifference / 3 % width}, y {firstDifference / 3 / width}).");

        var relay = SharedInputs.RelayOf(await coordinator.GetJsonAsync(Routes.Job(submitted.Id)));
        cluster.Log($"relay: {relay}; PNG {png.Length} bytes");
        return relay;
    }
}

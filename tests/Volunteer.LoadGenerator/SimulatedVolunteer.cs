using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.LoadGenerator;

/// <summary>
/// One simulated volunteer host over the real worker API: an account of its own, its own key pair and token,
/// syncing in a loop, "computing" with the app's real computer (checksum costs no CPU) and reporting results,
/// signed once per sync. It connects from a loopback address in a /24 of its own, over connections of its own
/// (kept alive between syncs), so the coordinator sees a thousand volunteers as a thousand hosts on as many
/// networks, and places replicas with its rules on.
/// </summary>
public sealed class SimulatedVolunteer : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _coordinator;
    private readonly SimulatedHost _host;

    public SimulatedVolunteer(Uri coordinator, IPAddress source)
    {
        _http = LoopbackSources.Client(source);
        _http.Timeout = TimeSpan.FromSeconds(60);
        _coordinator = coordinator;
        _host = new SimulatedHost(_http, coordinator);
    }

    /// <summary>Signs up an account named <paramref name="name"/> and attaches this host to it, claiming <paramref name="cores"/> cores.</summary>
    public async Task AttachAsync(string name, int cores, CancellationToken cancellationToken)
    {
        var account = await VolunteerAccounts.SignUpAsync(_http, _coordinator, name, cancellationToken);
        using var response = await _host.PostAttachAsync(name, cores, account.AccountKey, cancellationToken);
        await response.ExpectAsync(HttpStatusCode.Created);
    }

    /// <summary>
    /// Syncs until cancelled: each round reports what the last one leased and asks for
    /// <paramref name="unitsPerSync"/> more. With a <paramref name="computeTime"/>, the volunteer takes
    /// that long over each batch, as a real host computing its units would (jittered ±50% so that a
    /// thousand volunteers do not sync in lockstep); without, it syncs again at once (saturation).
    /// </summary>
    public async Task RunAsync(int unitsPerSync, TimeSpan computeTime, LoadFigures figures, CancellationToken cancellationToken)
    {
        try
        {
            await SyncLoopAsync(unitsPerSync, computeTime, figures, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped mid-sync, mid-computation or mid-pause: the run is over either way.
        }
    }

    private async Task SyncLoopAsync(int unitsPerSync, TimeSpan computeTime, LoadFigures figures, CancellationToken cancellationToken)
    {
        var reports = new List<ReplicaReport>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await SyncAsync(new SyncRequest(reports, [], unitsPerSync), figures, cancellationToken);
            figures.RecordSync(started, answer is null ? 0 : answer.Accepted);
            if (answer is null)
            {
                // Refused or failed: drop the batch (a refusal is final) and back off a little.
                reports.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                continue;
            }
            reports = [];
            foreach (var assignment in answer.Assignments)
            {
                reports.Add(await SimulatedHost.ComputeAsync(assignment, cancellationToken));
            }
            if (answer.Assignments.Count > 0 && computeTime > TimeSpan.Zero)
            {
                await Task.Delay(computeTime * (0.5 + Random.Shared.NextDouble()), cancellationToken);
            }
            if (answer.Assignments.Count == 0)
            {
                // Nothing to do now: poll as an idle agent would, not in a tight loop.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    private async Task<SyncResponse?> SyncAsync(SyncRequest request, LoadFigures figures, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _host.PostSyncAsync(request, cancellationToken: cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                figures.RecordFailure($"HTTP {(int)response.StatusCode}");
                return null;
            }
            return await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            figures.RecordFailure(ex.GetType().Name);
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            figures.RecordFailure("timeout");
            return null;
        }
    }

    public void Dispose()
    {
        _host.Dispose();
        _http.Dispose();
    }
}

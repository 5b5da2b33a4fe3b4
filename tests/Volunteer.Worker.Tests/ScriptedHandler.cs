using System.Net;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Tests;

/// <summary>
/// A coordinator stand-in at the HTTP level: answers each request with the next scripted step (the
/// last step repeats) and keeps every request with its body.
/// </summary>
public sealed class ScriptedHandler(params ScriptedHandler.Step[] steps) : HttpMessageHandler
{
    public delegate Task<HttpResponseMessage> Step(HttpRequestMessage request, CancellationToken cancellationToken);

    private readonly Lock _gate = new();
    private readonly List<(HttpRequestMessage Request, string Body)> _sent = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public IReadOnlyList<HttpRequestMessage> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent.Select(s => s.Request)];
            }
        }
    }

    /// <summary>An answer with this status and JSON body.</summary>
    public static Step Answer(HttpStatusCode status, string json) =>
        (_, _) => Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    /// <summary>A sync accepted with this answer.</summary>
    public static Step Accept(SyncResponse response) =>
        Answer(HttpStatusCode.OK, JsonSerializer.Serialize(response, ProtocolJson.Options));

    /// <summary>An accepted sync that leases nothing and cancels nothing.</summary>
    public static Step AcceptWith(SyncLimits limits) => Accept(new SyncResponse(0, [], [], limits));

    /// <summary>No coordinator at that address.</summary>
    public static Step Unreachable { get; } = (_, _) => throw new HttpRequestException("connection refused");

    /// <summary>A coordinator that never answers.</summary>
    public static Step Silent { get; } = async (_, cancellationToken) =>
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("A silent coordinator never answers.");
    };

    /// <summary>The bodies of the first <paramref name="count"/> syncs (other requests passed over), once that many have arrived.</summary>
    public async Task<IReadOnlyList<SyncRequest>> SyncsAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            lock (_gate)
            {
                var syncs = _sent.Where(s => s.Request.RequestUri!.AbsolutePath.EndsWith("/" + Routes.WorkerSync, StringComparison.Ordinal)).ToList();
                if (syncs.Count >= count)
                {
                    return [.. syncs.Take(count).Select(s => JsonSerializer.Deserialize<SyncRequest>(s.Body, ProtocolJson.Options)!)];
                }
            }
            await _arrived.WaitAsync(deadline.Token);
        }
    }

    /// <summary>The requests that arrived so far, each with its body as text.</summary>
    public IReadOnlyList<(HttpRequestMessage Request, string Body)> Arrived
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        int count;
        lock (_gate)
        {
            _sent.Add((request, body));
            count = _sent.Count;
        }
        _arrived.Release();
        return await steps[Math.Min(count, steps.Length) - 1](request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _arrived.Dispose();
        }
        base.Dispose(disposing);
    }
}

using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>
/// A volunteer that poisons the swarm: attached like any host, it tells the coordinator it holds a blob, answers the
/// coordinator's connect-back on a real peer endpoint, and serves every chunk asked of it with one byte changed (the
/// right length, the wrong digest). It never computes anything. It counts the chunks it served, so a test can tell
/// whether anyone still fetches from it.
/// </summary>
public sealed class CorruptingPeer : IAsyncDisposable
{
    private readonly WebApplication _endpoint;
    private readonly HttpClient _http;
    private readonly SimulatedHost _host;
    private readonly byte[] _content;
    private int _chunksServed;

    private CorruptingPeer(WebApplication endpoint, HttpClient http, SimulatedHost host, byte[] content, IPAddress address, int port)
    {
        _endpoint = endpoint;
        _http = http;
        _host = host;
        _content = content;
        Address = address;
        Port = port;
    }

    public IPAddress Address { get; }

    public int Port { get; }

    public Guid WorkerId => _host.Id;

    public int ChunksServed => Volatile.Read(ref _chunksServed);

    /// <summary>Attaches through <paramref name="coordinator"/> from a /24 of its own and starts serving <paramref name="content"/> corrupted.</summary>
    public static async Task<CorruptingPeer> StartAsync(Uri coordinator, byte[] content)
    {
        var address = LoopbackSources.Next();
        var port = FreePort.Next();
        var http = LoopbackSources.Client(address);
        var host = new SimulatedHost(http, coordinator);
        using (var attached = await host.PostAttachAsync("corrupting-peer", cores: 1))
        {
            await attached.ExpectAsync(HttpStatusCode.Created);
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        var endpoint = builder.Build();
        CorruptingPeer? peer = null;
        endpoint.MapGet("/" + PeerRoutes.Hello, () => Results.Json(new PeerHello(host.Id), ProtocolJson.Options));
        endpoint.MapGet("/peer/v1/blobs/{digest}/chunks/{index:int}", (string digest, int index) => peer!.Corrupted(index));
        await endpoint.StartAsync();
        peer = new CorruptingPeer(endpoint, http, host, content, address, port);
        return peer;
    }

    /// <summary>One sync that claims the blob (and everything it holds, as asked after a restart) and asks for no work.</summary>
    public async Task<SyncResponse> AdvertiseAsync(string digest)
    {
        using var response = await (await _host.PostSyncAsync(new SyncRequest([], [], 0, Peer: new PeerAdvert(Port, [digest], Complete: true))))
            .ExpectAsync(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options))!;
    }

    private IResult Corrupted(int index)
    {
        var offset = (long)index * BlobManifest.DefaultChunkSize;
        if (index < 0 || offset >= _content.Length)
        {
            return Results.NotFound();
        }
        var chunk = _content.AsSpan((int)offset, (int)Math.Min(BlobManifest.DefaultChunkSize, _content.Length - offset)).ToArray();
        chunk[chunk.Length / 2] ^= 0x20;
        Interlocked.Increment(ref _chunksServed);
        return Results.Bytes(chunk, "application/octet-stream");
    }

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        _host.Dispose();
        _http.Dispose();
    }
}

using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests.Peers;

/// <summary>Another worker's peer endpoint on a real loopback port, with a state directory, cache and relay inbox of its own.</summary>
public sealed class TestPeer : IAsyncDisposable
{
    private readonly TempDirectory _state = new();

    private TestPeer(WorkerOptions options, TimeProvider time, string? coordinatorKey)
    {
        options.StateDirectory = _state.Path;
        options.PeerAddress ??= "127.0.0.1";
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identity = new WorkerIdentity(WorkerId, "peer-token", [AttachedWorker.First], Convert.ToBase64String(key.ExportPkcs8PrivateKey()));
        Cache = new BlobCache(_state.Path, options.CacheBytes, time);
        Inbox = new RelayInbox(_state.Path, options.MaxRelayBundles, options.RelayInboxBytes);
        Budget = new UploadBudget(options.UploadBytesPerSecond, time);
        Server = new PeerServer(Options.Create(options), identity, Cache, Inbox, new CoordinatorPublicKey(coordinatorKey),
            new CoordinatorLimits(SyncLimits.Default), Budget, time, NullLoggerFactory.Instance);
    }

    public Guid WorkerId { get; } = Guid.NewGuid();

    public string StateDirectory => _state.Path;

    public BlobCache Cache { get; }

    public RelayInbox Inbox { get; }

    public UploadBudget Budget { get; }

    public PeerServer Server { get; }

    public Uri Endpoint => Server.Endpoint!;

    /// <summary>This peer as the coordinator lists it to a worker fetching a blob it holds.</summary>
    public PeerHolder Holder => new(WorkerId, Endpoint.ToString());

    public static async Task<TestPeer> StartAsync(Action<WorkerOptions>? configure = null, TimeProvider? time = null, string? coordinatorKey = null, bool knowsKey = true)
    {
        var options = new WorkerOptions();
        configure?.Invoke(options);
        var peer = new TestPeer(options, time ?? TimeProvider.System, knowsKey ? coordinatorKey ?? CoordinatorKeys.PublicKey : null);
        await peer.Server.StartAsync(CancellationToken.None);
        return peer;
    }

    /// <summary>Flips a byte of chunk <paramref name="index"/> in the file of a blob it holds, as a disk (or a cheat) would.</summary>
    public void Corrupt(BlobManifest blob, int index)
    {
        var path = Path.Combine(_state.Path, BlobCache.FolderName, blob.Digest["sha256:".Length..], "blob");
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = blob.ChunkOffset(index) + 7;
        var original = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(original ^ 0xff));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _state.Dispose();
    }
}

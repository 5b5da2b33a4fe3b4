using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Volunteer.Coordinator.Grains;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.Api.Tests;

/// <summary>
/// The coordinator as the index of who holds what. Every host has a loopback address and a /24 network of its own (the
/// test header stands in for the connection's peer), and where it serves, a real endpoint on that address for the
/// coordinator to connect back to.
/// </summary>
public sealed class PeerIndexTests(PeerIndexCoordinatorFactory factory) : IClassFixture<PeerIndexCoordinatorFactory>, IAsyncLifetime
{
    private static readonly TimeSpan ListingTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _jobs = factory.CreateJobsClient();
    private readonly List<IDisposable> _hosts = [];
    private readonly List<PeerEndpointDouble> _endpoints = [];

    public Task InitializeAsync() => Api.CancelRunningJobsAsync(_jobs);

    public async Task DisposeAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            await endpoint.DisposeAsync();
        }
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
        _jobs.Dispose();
    }

    [Fact]
    public async Task A_host_is_listed_once_the_coordinator_has_connected_back_to_it_and_only_then()
    {
        var digest = ContentDigest.Of(RandomNumberGenerator.GetBytes(100));
        var host = await AttachAsync("holder", "127.0.3.1");
        var endpoint = await ServeAsync(host, "127.0.3.1");

        // The connect-back runs off the sync's turn: the answer to the advert cannot say Listed yet.
        var first = await AdvertiseAsync(host, new PeerAdvert(endpoint.Port, [digest], Complete: true));
        Assert.False(first.Listed);
        Assert.False(first.SendHoldings);

        var listed = await UntilListedAsync(host, endpoint.Port);
        Assert.Equal(1, endpoint.Hellos);
        Assert.Equal(endpoint.Endpoint, await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IHostGrain>(host.Id).GetListedEndpointAsync());
        // The pass introduces the host to peers with the key it attached with, signed by the coordinator.
        using var coordinatorKey = ECDsa.Create();
        coordinatorKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(factory.Key.PublicKey), out _);
        Assert.True(CoordinatorSignature.Verify(coordinatorKey, listed.Pass, DateTimeOffset.UtcNow));
        Assert.Equal((host.Id, AccountHost.PublicKeyOf(host.Key)), (listed.Pass!.WorkerId, listed.Pass.PublicKey));
    }

    [Fact]
    public async Task An_endpoint_answering_as_another_worker_or_not_at_all_is_not_listed_and_a_new_endpoint_is_tried_again()
    {
        var host = await AttachAsync("impostor", "127.0.5.1");
        var answer = Guid.NewGuid();
        var other = await ServeAsync(host, "127.0.5.1", () => answer);
        var silent = await ServeAsync(host, "127.0.5.1");
        var silentPort = silent.Port;
        await silent.DisposeAsync();
        _endpoints.Remove(silent);

        Assert.False((await AdvertiseAsync(host, new PeerAdvert(other.Port))).Listed);
        await Eventually.UntilAsync("the connect-back to the endpoint answering as another worker", () => other.Hellos == 1, () => "", ListingTimeout);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(other.Port))).Listed);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(silentPort))).Listed);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(silentPort))).Listed);

        // Once it names an endpoint that answers as itself, it is tried again and listed there.
        var right = await ServeAsync(host, "127.0.5.1");
        await UntilListedAsync(host, right.Port);
        Assert.Equal(1, other.Hellos);
        Assert.Equal(right.Endpoint, await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IHostGrain>(host.Id).GetListedEndpointAsync());
    }

    [Fact]
    public async Task Assignments_carry_the_blobs_manifest_a_ticket_and_listed_holders_on_the_askers_network_first_never_the_asker()
    {
        var content = RandomNumberGenerator.GetBytes(2 * BlobManifest.DefaultChunkSize + 1000);
        var manifest = await factory.PutBlobAsync(content);
        var job = await Api.SubmitAsync(_jobs, SharedInputApp.Job(manifest.Digest, 20));
        var (near, nearEndpoint) = await ListedHolderAsync("near holder", "127.0.3.11", manifest.Digest);
        var (far, farEndpoint) = await ListedHolderAsync("far holder", "127.0.4.11", manifest.Digest);
        // Holds it too, but serves nothing: never listed.
        var unlisted = await AttachAsync("holder behind NAT", "127.0.3.12");
        await AdvertiseAsync(unlisted, new PeerAdvert(null, [manifest.Digest], Complete: true));
        var asker = await AttachAsync("asker", "127.0.3.13");

        var assignment = Assert.Single(await asker.LeaseAsync(1));

        Assert.Equal(job.Id, assignment.JobId);
        var source = Assert.Single(assignment.Blobs!);
        Assert.Equal((manifest.Digest, manifest.Size, manifest.ChunkSize), (source.Manifest.Digest, source.Manifest.Size, source.Manifest.ChunkSize));
        Assert.Equal(BlobManifest.Of(content).Chunks, source.Manifest.Chunks);
        using var coordinatorKey = ECDsa.Create();
        coordinatorKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(factory.Key.PublicKey), out _);
        Assert.True(CoordinatorSignature.Verify(coordinatorKey, source.Ticket, manifest.Digest, DateTimeOffset.UtcNow));
        Assert.Equal((asker.Id, job.Id), (source.Ticket.WorkerId, source.Ticket.JobId));
        Assert.Equal([new PeerHolder(near.Id, nearEndpoint.Endpoint), new PeerHolder(far.Id, farEndpoint.Endpoint)], source.Holders);

        // A holder that needs the blob itself is never told of itself.
        var farsOwn = Assert.Single(await far.LeaseAsync(1));
        Assert.Equal([new PeerHolder(near.Id, nearEndpoint.Endpoint)], Assert.Single(farsOwn.Blobs!).Holders);

        // The relay peers it is told of are listed hosts, its network's first, never itself.
        var directions = await AdvertiseAsync(asker, new PeerAdvert(null));
        Assert.Equal(new PeerHolder(near.Id, nearEndpoint.Endpoint), directions.RelayPeers[0]);
        Assert.Contains(new PeerHolder(far.Id, farEndpoint.Endpoint), directions.RelayPeers);
        Assert.DoesNotContain(directions.RelayPeers, p => p.WorkerId == asker.Id || p.WorkerId == unlisted.Id);
    }

    [Fact]
    public async Task The_index_asks_for_all_a_host_holds_until_told_and_again_after_its_grain_was_reactivated()
    {
        var (one, two) = (ContentDigest.Of([1]), ContentDigest.Of([2]));
        var host = await AttachAsync("forgetful", "127.0.8.1");

        Assert.True((await AdvertiseAsync(host, new PeerAdvert(null, Added: [one]))).SendHoldings);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(null, Added: [one, two], Complete: true))).SendHoldings);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(null))).SendHoldings);

        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.True((await AdvertiseAsync(host, new PeerAdvert(null))).SendHoldings);
        Assert.False((await AdvertiseAsync(host, new PeerAdvert(null, Added: [one, two], Complete: true))).SendHoldings);
    }

    [Fact]
    public async Task A_holder_reported_for_bad_chunks_by_hosts_of_two_accounts_is_unlisted_for_good_and_flagged()
    {
        var manifest = await factory.PutBlobAsync(RandomNumberGenerator.GetBytes(5000));
        var job = await Api.SubmitAsync(_jobs, SharedInputApp.Job(manifest.Digest, 20));
        var (holder, endpoint) = await ListedHolderAsync("bad holder", "127.0.9.1", manifest.Digest);
        var first = await AttachAsync("first accuser", "127.0.10.1");
        var sameAccount = await AttachAsync("first accuser's other host", "127.0.11.1", first.AnonymousAccountKey);
        var second = await AttachAsync("second accuser", "127.0.12.1");
        var stranger = await AttachAsync("never fetched from it", "127.0.13.1");
        foreach (var accuser in new[] { first, sameAccount, second })
        {
            Assert.Contains(Assert.Single(Assert.Single(await accuser.LeaseAsync(1)).Blobs!).Holders, h => h.WorkerId == holder.Id);
        }
        var transfer = new TransferReport(job.Id, manifest.Digest, 4000, 1000, [holder.Id]);

        // Its own word, a host never handed it, and hosts of one account: not enough.
        foreach (var accuser in new[] { holder, stranger, first, sameAccount })
        {
            await accuser.SyncAsync(new SyncRequest(Transfers: [transfer]));
            Assert.True((await AdvertiseAsync(holder, new PeerAdvert(endpoint.Port))).Listed, $"after {accuser.Name}'s report");
        }

        await second.SyncAsync(new SyncRequest(Transfers: [transfer]));

        Assert.False((await AdvertiseAsync(holder, new PeerAdvert(endpoint.Port))).Listed);
        var asker = await AttachAsync("later asker", "127.0.14.1");
        Assert.Empty(Assert.Single(Assert.Single(await asker.LeaseAsync(1)).Blobs!).Holders);
        using (var response = await _jobs.GetAsync("/" + Routes.Hosts + "?flagged=true"))
        {
            await Api.AssertStatusAsync(response, HttpStatusCode.OK);
            var flag = Assert.Single((await response.Content.ReadFromJsonAsync<List<FlaggedHost>>(ProtocolJson.Options))!, f => f.WorkerId == holder.Id);
            Assert.Equal(HostGrain.PeerDataFlag, flag.App);
            Assert.Contains("2 accounts", flag.Reason, StringComparison.Ordinal);
        }

        // For good: after its grain is gone, its adverts are never taken for a listing again, nor its endpoint tried.
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            Assert.False((await AdvertiseAsync(holder, new PeerAdvert(endpoint.Port, [manifest.Digest], Complete: true))).Listed);
            await Task.Delay(100);
        }
        Assert.Equal(1, endpoint.Hellos);
    }

    private async Task<AccountHost> AttachAsync(string name, string address, string? accountKey = null)
    {
        var host = await AccountHost.AttachAsync(factory, name, address, accountKey);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A peer endpoint on the host's address answering as the host, or as <paramref name="answer"/> says.</summary>
    private async Task<PeerEndpointDouble> ServeAsync(AccountHost host, string address, Func<Guid>? answer = null)
    {
        var endpoint = await PeerEndpointDouble.StartAsync(address, answer ?? (() => host.Id));
        _endpoints.Add(endpoint);
        return endpoint;
    }

    private async Task<(AccountHost Host, PeerEndpointDouble Endpoint)> ListedHolderAsync(string name, string address, string digest)
    {
        var host = await AttachAsync(name, address);
        var endpoint = await ServeAsync(host, address);
        await AdvertiseAsync(host, new PeerAdvert(endpoint.Port, [digest], Complete: true));
        await UntilListedAsync(host, endpoint.Port);
        return (host, endpoint);
    }

    private static async Task<PeerDirections> AdvertiseAsync(AccountHost host, PeerAdvert advert)
    {
        var response = await host.SyncAsync(new SyncRequest(Peer: advert));
        Assert.NotNull(response.Peer);
        return response.Peer;
    }

    private static Task<PeerDirections> UntilListedAsync(AccountHost host, int port) =>
        Eventually.WaitAsync(
            $"{host.Name} to be listed",
            async () => await AdvertiseAsync(host, new PeerAdvert(port)) is { Listed: true } directions ? directions : null,
            () => "",
            ListingTimeout,
            TimeSpan.FromMilliseconds(50));
}

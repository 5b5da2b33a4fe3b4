using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Volunteer.Apps;
using Volunteer.Coordinator.Blobs;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A science app of the results-at-the-edge tests whose every result is far above the inline limit: unit i's payload is
/// <c>size</c> bytes, byte k of it <c>(i + 1) * (k + 1) mod 251</c>. A payload is plausible only if it is exactly that.
/// The job's result counts units, bytes and the sum of every byte folded. Parameters: <c>{"units": N, "size": bytes}</c>.
/// </summary>
internal sealed class BulkyResultsApp : IScienceApp
{
    public const string AppName = "bulky-results";

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new BulkySplitter();

    public IUnitComputer Computer { get; } = new BulkyComputer();

    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultValidator Validator { get; } = new ExactPayload();

    public IResultReducer Reducer { get; } = new BulkyReducer();

    public static string Job(int units, int size) => $$$"""{"app":"{{{AppName}}}","parameters":{"units":{{{units}}},"size":{{{size}}}}}""";

    public static byte[] PayloadOf(long unitIndex, int size)
    {
        var payload = new byte[size];
        for (var k = 0; k < size; k++)
        {
            payload[k] = (byte)((unitIndex + 1) * (k + 1) % 251);
        }
        return payload;
    }

    /// <summary>The job's result once units 0 to <paramref name="units"/> - 1 are folded.</summary>
    public static string ResultOf(int units, int size) =>
        ResultJson(units, (long)units * size, Enumerable.Range(0, units).Sum(u => PayloadOf(u, size).Sum(b => (long)b)));

    private static string ResultJson(long units, long bytes, long sum) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"units":{{units}},"bytes":{{bytes}},"sum":{{sum}}}""");

    private static int SizeOf(string unitJson)
    {
        using var unit = JsonDocument.Parse(unitJson);
        return unit.RootElement.GetProperty("size").GetInt32();
    }

    private sealed class BulkySplitter : IJobSplitter
    {
        public JobPlan Plan(JsonElement parameters) => new(Read(parameters).Units);

        public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
        {
            var (units, size) = Read(parameters);
            for (var index = firstUnitIndex; index < units; index++)
            {
                yield return new UnitInput(index, string.Create(CultureInfo.InvariantCulture, $$"""{"size":{{size}}}"""));
            }
        }

        private static (int Units, int Size) Read(JsonElement parameters) =>
            parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("units", out var units) && units.TryGetInt32(out var count) && count is >= 1 and <= 100
            && parameters.TryGetProperty("size", out var size) && size.TryGetInt32(out var bytes) && bytes is >= 1 and <= 16 * 1024 * 1024
                ? (count, bytes)
                : throw new InvalidJobParametersException("'units' must be 1 to 100 and 'size' 1 to 16 MiB.");
    }

    private sealed class BulkyComputer : IUnitComputer
    {
        public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken) =>
            Task.FromResult(PayloadOf(input.Index, SizeOf(input.Json)));
    }

    private sealed class ExactPayload : IResultValidator
    {
        public string? Check(UnitInput unit, ReadOnlySpan<byte> payload) =>
            payload.SequenceEqual(PayloadOf(unit.Index, SizeOf(unit.Json))) ? null : $"Unit {unit.Index} computes other bytes.";
    }

    private sealed class BulkyReducer : IResultReducer
    {
        public string Seed(JsonElement parameters) => ResultJson(0, 0, 0);

        public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
        {
            using var document = JsonDocument.Parse(accumulated);
            var result = document.RootElement;
            var sum = 0L;
            foreach (var b in canonicalPayload)
            {
                sum += b;
            }
            return ResultJson(result.GetProperty("units").GetInt64() + 1, result.GetProperty("bytes").GetInt64() + canonicalPayload.Length,
                result.GetProperty("sum").GetInt64() + sum);
        }
    }
}

/// <summary>
/// A coordinator for the results-at-the-edge tests: the built-in apps and <see cref="BulkyResultsApp"/>, syncs as often
/// as the tests like, a pull timeout long enough that a test decides which holder delivers, and result payloads of at
/// most <see cref="MaxResultBytes"/>.
/// </summary>
public class EdgeResultsCoordinatorFactory : CoordinatorFactory
{
    public const int MaxResultBytes = 1024 * 1024;

    public EdgeResultsCoordinatorFactory()
        : this("00:02:00", rounds: 60)
    {
    }

    protected EdgeResultsCoordinatorFactory(string pullTimeout, int rounds)
        : base(new Dictionary<string, string>
        {
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
            ["Volunteer:ResultPullTimeout"] = pullTimeout,
            ["Volunteer:ResultPullRounds"] = rounds.ToString(CultureInfo.InvariantCulture),
            ["Volunteer:MaxResultBytes"] = MaxResultBytes.ToString(CultureInfo.InvariantCulture),
        })
    {
    }

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public CoordinatorKey Key => Services.GetRequiredService<CoordinatorKey>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        var apps = ScienceAppCatalog.BuiltIn.Names.Select(name => ScienceAppCatalog.BuiltIn.Find(name)!).Append(new BulkyResultsApp());
        builder.ConfigureTestServices(services => services.AddSingleton(new ScienceAppCatalog(apps)));
    }
}

/// <summary>
/// A worker's peer endpoint serving the result payloads it holds, as the worker agent's does: Kestrel on one loopback
/// address (all of 127.0.0.0/8 is loopback on Linux), answering the coordinator's connect-back hello with the worker's
/// id, and a whole blob (<see cref="PeerRoutes.Blob"/>) only to a request with a ticket for it that the coordinator's key
/// signed. Remembers the tickets it took and how many requests it refused.
/// </summary>
internal sealed class BlobServingPeer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ECDsa _coordinatorKey;
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();
    private readonly ConcurrentQueue<BlobTicket> _tickets = new();
    private int _refused;

    private BlobServingPeer(WebApplication app, Guid workerId, ECDsa coordinatorKey)
    {
        _app = app;
        _coordinatorKey = coordinatorKey;
        app.MapGet("/" + PeerRoutes.Hello, () => Results.Json(new PeerHello(workerId), ProtocolJson.Options));
        app.MapGet("/peer/v1/blobs/{digest}", (string digest, HttpRequest request) =>
        {
            var ticket = TicketOf(request.Headers[PeerRoutes.TicketHeader].ToString());
            if (!CoordinatorSignature.Verify(coordinatorKey, ticket, digest, DateTimeOffset.UtcNow))
            {
                Interlocked.Increment(ref _refused);
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }
            _tickets.Enqueue(ticket!);
            return _blobs.TryGetValue(digest, out var blob) ? Results.Bytes(blob, "application/octet-stream") : Results.NotFound();
        });
    }

    public int Port { get; private set; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The tickets of the requests it served (or found it did not hold the blob for).</summary>
    public IReadOnlyList<BlobTicket> Tickets => [.. _tickets];

    /// <summary>Requests for a blob without a good ticket for it.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Starts serving on <paramref name="address"/> (a free port) as <paramref name="workerId"/>, to holders of tickets <paramref name="coordinatorKey"/> signed.</summary>
    public static async Task<BlobServingPeer> StartAsync(string address, Guid workerId, string coordinatorKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{address}:0");
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(coordinatorKey), out _);
        var peer = new BlobServingPeer(builder.Build(), workerId, key);
        await peer._app.StartAsync();
        peer.Port = new Uri(peer._app.Urls.Single()).Port;
        peer.BaseAddress = new Uri($"http://{IPAddress.Parse(address)}:{peer.Port}/");
        return peer;
    }

    /// <summary>Holds <paramref name="payload"/>: it serves it from now on.</summary>
    public void Hold(byte[] payload) => _blobs[ContentDigest.Of(payload)] = payload;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _coordinatorKey.Dispose();
    }

    private static BlobTicket? TicketOf(string header)
    {
        try
        {
            return JsonSerializer.Deserialize<BlobTicket>(Encoding.UTF8.GetString(Convert.FromBase64String(header)), ProtocolJson.Options);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>The coordinator of the results-at-the-edge tests with impatient pulls: one second a holder, two rounds.</summary>
public sealed class ImpatientPullsCoordinatorFactory() : EdgeResultsCoordinatorFactory("00:00:01", rounds: 2);

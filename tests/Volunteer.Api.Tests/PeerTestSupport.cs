using System.Globalization;
using System.Net;
using System.Security.Cryptography;
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
/// A science app of the peer tests whose every unit reads one shared blob the job names, as motif counting does:
/// unit i's result is SHA-256 of the blob's bytes followed by i (8 bytes, little-endian); the job's result counts units.
/// Parameters: <c>{"input": digest, "units": N}</c>.
/// </summary>
internal sealed class SharedInputApp : IScienceApp
{
    public const string AppName = "shared-input";

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new InputSplitter();

    public IUnitComputer Computer { get; } = new InputHasher();

    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultReducer Reducer { get; } = new UnitCounter();

    public IReadOnlyList<string> InputBlobs(JsonElement parameters) => [ReadParameters(parameters).Input];

    public static string Job(string digest, int units) =>
        $$$"""{"app":"{{{AppName}}}","parameters":{"input":"{{{digest}}}","units":{{{units}}}}}""";

    private static (string Input, long Units) ReadParameters(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object
            || !parameters.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.String
            || !ContentDigest.IsWellFormed(input.GetString())
            || !parameters.TryGetProperty("units", out var units) || !units.TryGetInt64(out var count) || count is < 1 or > 1000)
        {
            throw new InvalidJobParametersException("'input' must be a blob digest and 'units' a count from 1 to 1000");
        }
        return (input.GetString()!, count);
    }

    private sealed class InputSplitter : IJobSplitter
    {
        public JobPlan Plan(JsonElement parameters) => new(ReadParameters(parameters).Units);

        public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
        {
            var (input, units) = ReadParameters(parameters);
            for (var index = firstUnitIndex; index < units; index++)
            {
                yield return new UnitInput(index, $$"""{"input":"{{input}}","index":{{index.ToString(CultureInfo.InvariantCulture)}}}""");
            }
        }
    }

    private sealed class InputHasher : IUnitComputer
    {
        public async Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken)
        {
            using var unit = JsonDocument.Parse(input.Json);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var blob = context.OpenBlob(unit.RootElement.GetProperty("input").GetString()!))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await blob.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
            hash.AppendData(BitConverter.GetBytes(input.Index));
            return hash.GetHashAndReset();
        }
    }

    private sealed class UnitCounter : IResultReducer
    {
        public string Seed(JsonElement parameters) => """{"units":0}""";

        public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
        {
            using var document = JsonDocument.Parse(accumulated);
            return $$"""{"units":{{document.RootElement.GetProperty("units").GetInt64() + 1}}}""";
        }
    }
}

/// <summary>
/// A coordinator for the peer index tests: the built-in apps and <see cref="SharedInputApp"/>, syncs as often as the
/// tests like, and a short connect-back timeout.
/// </summary>
public sealed class PeerIndexCoordinatorFactory : CoordinatorFactory
{
    public PeerIndexCoordinatorFactory()
        : base(new Dictionary<string, string>
        {
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
            ["Volunteer:PeerProbeTimeout"] = "00:00:02",
        })
    {
    }

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public CoordinatorKey Key => Services.GetRequiredService<CoordinatorKey>();

    /// <summary>Puts <paramref name="content"/> in the coordinator's blob store, as a scientist's upload would; returns its manifest.</summary>
    public async Task<BlobManifest> PutBlobAsync(byte[] content)
    {
        using var stream = new MemoryStream(content);
        var manifest = await Blobs.PutAsync(ContentDigest.Of(content), stream, content.Length, DateTimeOffset.UtcNow);
        Assert.NotNull(manifest);
        return manifest;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        var apps = ScienceAppCatalog.BuiltIn.Names.Select(name => ScienceAppCatalog.BuiltIn.Find(name)!).Append(new SharedInputApp());
        builder.ConfigureTestServices(services => services.AddSingleton(new ScienceAppCatalog(apps)));
    }
}

/// <summary>
/// A worker's peer endpoint as the coordinator's connect-back sees it: Kestrel on one loopback address (127.0.0.0/8 is
/// all loopback on Linux, so each test host can have an address and a /24 network of its own), answering
/// <see cref="PeerRoutes.Hello"/> with the worker id it is given. Counts the hellos it answered.
/// </summary>
internal sealed class PeerEndpointDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hellos;

    private PeerEndpointDouble(WebApplication app, Func<Guid> answer)
    {
        _app = app;
        app.MapGet("/" + PeerRoutes.Hello, () =>
        {
            Interlocked.Increment(ref _hellos);
            return Results.Json(new PeerHello(answer()), ProtocolJson.Options);
        });
    }

    public int Port { get; private set; }

    /// <summary>The endpoint as the coordinator lists it.</summary>
    public string Endpoint { get; private set; } = "";

    public int Hellos => Volatile.Read(ref _hellos);

    /// <summary>Starts answering on <paramref name="address"/> (a free port) as the worker <paramref name="answer"/> names.</summary>
    public static async Task<PeerEndpointDouble> StartAsync(string address, Func<Guid> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{address}:0");
        var endpoint = new PeerEndpointDouble(builder.Build(), answer);
        await endpoint._app.StartAsync();
        endpoint.Port = new Uri(endpoint._app.Urls.Single()).Port;
        endpoint.Endpoint = $"http://{IPAddress.Parse(address)}:{endpoint.Port}/";
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

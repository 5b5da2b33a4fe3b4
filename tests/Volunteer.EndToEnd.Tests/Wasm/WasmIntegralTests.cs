using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests.Wasm;

/// <summary>
/// The example floating-point app (π as an integral, its units' areas added up by the app's reducer module) on a real
/// coordinator and real workers: the job's result is π within the tolerance; and a host whose results differ from the
/// others' in the last bit is within the tolerance comparator's reach, while one that differs beyond it is outvoted.
/// </summary>
public sealed class WasmIntegralTests(ITestOutputHelper output)
{
    /// <summary>The steps of the integral (integral.c's STEPS): a job over all of them gives π.</summary>
    private const long Steps = 1_000_000_000;

    private static readonly AppComparator Tolerance = new(ComparatorKind.Tolerance, Absolute: 1e-12, Relative: 1e-9);

    [Fact]
    public async Task The_integral_app_and_its_reducer_give_pi_within_the_tolerance()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var coordinator = cluster.Coordinator;
        using var project = new WasmProject(coordinator);
        var registered = await project.RegisterAsync("pi", "1.0", WasmModules.Example("integral"), Tolerance, reducer: WasmModules.Example("sum"));

        var submitted = await cluster.SubmitAsync(coordinator, new
        {
            app = registered.Reference,
            parameters = new { ranges = new { from = 0, to = Steps, unitSize = Steps / 10 } },
            redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 2, maxTotalResults = 4 },
        });
        cluster.StartWorkers();
        var finished = await cluster.WaitForJobAsync(coordinator, submitted.Id);

        Assert.True(finished.State == "Completed" && finished.Failed == 0, $"The job ended {finished}\n{cluster.Diagnostics()}");
        var (_, _, result) = await coordinator.GetResultAsync(submitted.Id);
        cluster.Log($"result {result}, π = {Math.PI:R}");
        var pi = Assert.Single(result.EnumerateArray()).GetDouble();
        Assert.True(Math.Abs(pi - Math.PI) <= 1e-9, $"{pi:R} is not π within 1e-9.");
    }

    [Fact]
    public async Task A_result_off_in_its_last_bit_validates_and_one_off_beyond_the_tolerance_is_outvoted()
    {
        await using var cluster = await VolunteerCluster.StartAsync(output, workerCount: 2);
        var coordinator = cluster.Coordinator;
        using var project = new WasmProject(coordinator);
        var registered = await project.RegisterAsync("pi", "1.0", WasmModules.Example("integral"), Tolerance, reducer: WasmModules.Example("sum"));
        using var host = await PerturbingHost.AttachAsync(coordinator, WasmModules.Example("integral"));
        object Job() => new
        {
            app = registered.Reference,
            parameters = new { ranges = new { from = 0, to = 4_000_000, unitSize = 1_000_000 } },
            redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 2, maxTotalResults = 3 },
        };

        // The test's host computes one replica of every unit before the workers start, and reports it perturbed.
        var lastBit = await cluster.SubmitAsync(coordinator, Job());
        var lastBitReports = await host.ComputeEveryUnitAsync(lastBit.Id, 4, LastBitFlipped);
        var beyond = await cluster.SubmitAsync(coordinator, Job());
        var beyondReports = await host.ComputeEveryUnitAsync(beyond.Id, 4, OffByOnePartInAMillion);
        cluster.StartWorkers();
        var lastBitDone = await cluster.WaitForJobAsync(coordinator, lastBit.Id);
        var beyondDone = await cluster.WaitForJobAsync(coordinator, beyond.Id);

        Assert.True(lastBitDone.State == "Completed" && lastBitDone.Failed == 0, $"{lastBitDone}\n{cluster.Diagnostics()}");
        Assert.True(beyondDone.State == "Completed" && beyondDone.Failed == 0, $"{beyondDone}\n{cluster.Diagnostics()}");
        Assert.All(lastBitReports, r => Assert.NotEqual(r.Honest, r.Reported));
        Assert.All(ReplicasOf(coordinator, lastBit.Id, host.Id), state => Assert.Equal("Valid", state));
        Assert.All(ReplicasOf(coordinator, beyond.Id, host.Id), state => Assert.Equal("Invalid", state));
        // Outvoted: the job's units stand on the workers' results, not the perturbed ones.
        var canonical = WasmProject.CanonicalResults(coordinator, beyond.Id);
        Assert.Equal(beyondReports.Select(r => r.Honest), canonical);
        cluster.Log($"host {host.Id}: last-bit replicas valid, beyond-tolerance replicas invalid; fuel per unit {string.Join(", ", lastBitReports.Select(r => r.Fuel))}");
    }

    private static string[] ReplicasOf(CoordinatorProcess coordinator, Guid jobId, Guid workerId) =>
        [.. VolunteerDatabase.Replicas(coordinator.DatabasePath, jobId).Where(r => r.WorkerId == workerId).Select(r => r.State)];

    /// <summary>The float64's least significant bit flipped: what another CPU or compiler might round differently.</summary>
    private static byte[] LastBitFlipped(byte[] result)
    {
        var perturbed = (byte[])result.Clone();
        perturbed[0] ^= 1;
        return perturbed;
    }

    /// <summary>One part in a million off: a thousand times the relative tolerance.</summary>
    private static byte[] OffByOnePartInAMillion(byte[] result)
    {
        var perturbed = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(perturbed, BinaryPrimitives.ReadDoubleLittleEndian(result) * (1 + 1e-6));
        return perturbed;
    }

    /// <summary>
    /// A second kind of host: the test itself on the worker API, computing its leases with the real module in a sandbox
    /// of its own and reporting the results signed, after perturbing them.
    /// </summary>
    private sealed class PerturbingHost : IDisposable
    {
        private readonly HttpClient _http;
        private readonly SimulatedHost _host;
        private readonly WasmSandbox _sandbox = new();
        private readonly byte[] _module;

        private PerturbingHost(HttpClient http, SimulatedHost host, byte[] module) => (_http, _host, _module) = (http, host, module);

        public Guid Id => _host.Id;

        public static async Task<PerturbingHost> AttachAsync(CoordinatorProcess coordinator, byte[] module)
        {
            var http = LoopbackSources.Client(LoopbackSources.Next());
            var host = new SimulatedHost(http, coordinator.BaseAddress);
            using (var attached = await host.PostAttachAsync("perturbing-host", cores: 1))
            {
                await attached.ExpectAsync(HttpStatusCode.Created);
            }
            return new PerturbingHost(http, host, module);
        }

        /// <summary>
        /// Leases, computes and reports (perturbed) one replica of each of the job's <paramref name="units"/> units;
        /// returns, per unit, the honest result, the one reported, and the fuel.
        /// </summary>
        public async Task<IReadOnlyList<Computed>> ComputeEveryUnitAsync(Guid jobId, int units, Func<byte[], byte[]> perturb)
        {
            var computed = new SortedDictionary<long, Computed>();
            IReadOnlyList<ReplicaReport> reports = [];
            using var deadline = new CancellationTokenSource(Eventually.DefaultTimeout);
            while (computed.Count < units || reports.Count > 0)
            {
                using var response = await (await _host.PostSyncAsync(new SyncRequest(reports, [], units - computed.Count), cancellationToken: deadline.Token))
                    .ExpectAsync(HttpStatusCode.OK);
                var answer = (await response.Content.ReadFromJsonAsync<SyncResponse>(ProtocolJson.Options, deadline.Token))!;
                Assert.Equal(reports.Count, answer.Accepted);
                var leased = new List<ReplicaReport>();
                foreach (var lease in answer.Assignments.Where(a => a.JobId == jobId))
                {
                    var (honest, fuel) = Compute(lease);
                    var reported = perturb(honest);
                    computed[lease.UnitIndex] = new Computed(lease.UnitIndex, honest, reported, fuel);
                    leased.Add(SimulatedHost.Success(lease.Ref, reported) with { Fuel = fuel });
                }
                reports = leased;
                if (reports.Count == 0 && computed.Count < units)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }
            return [.. computed.Values];
        }

        public void Dispose()
        {
            _sandbox.Dispose();
            _host.Dispose();
            _http.Dispose();
        }

        private (byte[] Result, long Fuel) Compute(Assignment lease)
        {
            var module = lease.Module ?? throw new InvalidOperationException($"Lease {lease.Ref} carries no module.");
            Assert.Equal(ContentDigest.Of(_module), module.Digest);
            var compiled = _sandbox.Load(module.Digest, _module, ModuleKind.Compute);
            var outcome = _sandbox.Compute(compiled, Encoding.UTF8.GetBytes(lease.Input.GetRawText()), module.Limits, NoCheckpoints.Instance, [], CancellationToken.None);
            return (outcome.Result, outcome.FuelUsed);
        }
    }

    private sealed record Computed(long UnitIndex, byte[] Honest, byte[] Reported, long Fuel);

    /// <summary>A unit context that keeps nothing: the test's host never resumes a unit.</summary>
    private sealed class NoCheckpoints : IUnitContext
    {
        public static readonly NoCheckpoints Instance = new();

        public ReadOnlyMemory<byte>? Checkpoint => null;

        public bool TimeToCheckpoint => false;

        public void ReportProgress(double fractionDone)
        {
        }

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken) => Task.CompletedTask;

        public Stream OpenBlob(string digest) => throw new InvalidOperationException($"The test's host holds no blob ({digest}).");
    }
}

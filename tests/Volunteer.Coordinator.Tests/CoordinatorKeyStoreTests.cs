using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>The coordinator's key is made once and kept: every later start, and every other silo, signs with the same key.</summary>
public sealed class FileCoordinatorKeyStoreTests : IDisposable
{
    private readonly string _folder = TestFolders.Create("coordinator-key");

    [Fact]
    public async Task The_key_is_created_at_the_first_start_readable_by_its_owner_only_and_the_same_at_the_next()
    {
        var first = new FileCoordinatorKeyStore(_folder);
        await first.LoadAsync(CancellationToken.None);
        var restarted = new FileCoordinatorKeyStore(_folder);
        await restarted.LoadAsync(CancellationToken.None);

        Assert.Equal(first.Key.PublicKey, restarted.Key.PublicKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_folder, FileCoordinatorKeyStore.FileName)));
        }
        var ticket = CoordinatorSignature.Ticket(first.Key.Signer, "sha256:" + new string('a', 64), Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddYears(100));
        using var workersCopy = ECDsa.Create();
        workersCopy.ImportSubjectPublicKeyInfo(Convert.FromBase64String(restarted.Key.PublicKey), out _);
        Assert.True(CoordinatorSignature.Verify(workersCopy, ticket, ticket.Digest, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void The_key_is_not_there_before_it_is_loaded() =>
        Assert.Throws<InvalidOperationException>(() => new FileCoordinatorKeyStore(_folder).Key);

    public void Dispose() => TestFolders.Delete(_folder);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCoordinatorKeyStoreTests(PostgresServer server) : IAsyncLifetime
{
    private readonly PostgresTestStore _store = new(server);

    public async Task InitializeAsync()
    {
        var store = await _store.CreateAsync();
        await store.InitializeAsync(CancellationToken.None);
        await ((IAsyncDisposable)store).DisposeAsync();
    }

    [Fact]
    public async Task Silos_starting_together_agree_on_one_key()
    {
        var silos = Enumerable.Range(0, 8).Select(_ => new PostgresCoordinatorKeyStore(_store.DataSource!, new FakeTimeProvider())).ToList();

        await Task.WhenAll(silos.Select(silo => Task.Run(() => silo.LoadAsync(CancellationToken.None))));

        Assert.Single(silos.Select(silo => silo.Key.PublicKey).Distinct());
    }

    public Task DisposeAsync() => _store.DropAsync();
}

/// <summary>The coordinator's share of relay, counted per job as chunks are served and taken once by each flush.</summary>
public sealed class RelayCountersTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void Bytes_served_add_up_per_job_and_each_count_is_taken_once()
    {
        var metrics = new CoordinatorMetrics(_services.GetRequiredService<IMeterFactory>());
        long measured = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.RelayCoordinatorBytes))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref measured, value));
        listener.Start();
        // Counting never calls a grain: only the flush does.
        var counters = new RelayCounters(null!, metrics, new FakeTimeProvider(), NullLogger<RelayCounters>.Instance);
        var (job, other) = (Guid.NewGuid(), Guid.NewGuid());

        counters.CountCoordinatorBytes(job, 1_048_576);
        counters.CountCoordinatorBytes(other, 10);
        counters.CountCoordinatorBytes(job, 500);
        var first = counters.Take();
        counters.CountCoordinatorBytes(job, 7);

        Assert.Equal(new Dictionary<Guid, long> { [job] = 1_049_076, [other] = 10 }, first);
        Assert.Equal(new Dictionary<Guid, long> { [job] = 7 }, counters.Take());
        Assert.Empty(counters.Take());
        Assert.Equal(1_049_093, measured);
    }

    public void Dispose() => _services.Dispose();
}

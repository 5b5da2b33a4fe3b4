using System.Security.Cryptography;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The worker directory keeps imported keys for the latest reporters only (<see cref="WorkerDirectory.KeysKept"/>), and
/// only from a worker's second report on: once more workers than that have reported, the first ones' keys have been
/// dropped, and their reports still verify (the key is imported again) while a signature by another key still does not.
/// </summary>
public sealed class WorkerDirectoryTests : IAsyncLifetime
{
    private readonly SqliteTestStore _folder = new("worker-directory");
    private Storage.IWorkStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = _folder.Create();
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncDisposable)_store).DisposeAsync();
        _folder.Drop();
    }

    [Fact]
    public async Task Reports_verify_before_and_after_a_workers_key_has_left_the_kept_ones()
    {
        var now = DateTimeOffset.UtcNow;
        var keys = Enumerable.Range(0, WorkerDirectory.KeysKept + 10).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToList();
        var batch = new WorkBatch();
        var ids = new List<Guid>();
        foreach (var key in keys)
        {
            var (account, _) = AccountKeys.Create("directory", null, AccountOrigin.Anonymous, now);
            var id = Guid.NewGuid();
            batch.Accounts.Add(account);
            batch.Workers.Add(new WorkerRecord(id, account.Id, "directory", SecretHash.Of(SecretHash.NewSecret()),
                Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), 1, now));
            ids.Add(id);
        }
        await _store.CommitAsync(batch);
        var directory = new WorkerDirectory(_store);
        IReadOnlyList<ReplicaReport> Reports(Guid worker) =>
            [SimulatedHost.Success(new ReplicaRef(worker, 7, 0), [1, 2, 3])];

        // Every worker reports twice (so its key is kept), more of them than keys are kept: the first one's key is
        // dropped on the way.
        for (var i = 0; i < keys.Count; i++)
        {
            var worker = (await directory.FindAsync(ids[i], CancellationToken.None))!;
            Assert.True(directory.SignedBy(worker, Reports(ids[i]), ReportSignature.Sign(keys[i], ids[i], Reports(ids[i]))));
            Assert.True(directory.SignedBy(worker, Reports(ids[i]), ReportSignature.Sign(keys[i], ids[i], Reports(ids[i]))));
        }
        Assert.InRange(directory.KeysHeld, WorkerDirectory.KeysKept / 2, WorkerDirectory.KeysKept);
        var first = (await directory.FindAsync(ids[0], CancellationToken.None))!;
        Assert.True(directory.SignedBy(first, Reports(ids[0]), ReportSignature.Sign(keys[0], ids[0], Reports(ids[0]))));
        Assert.False(directory.SignedBy(first, Reports(ids[0]), ReportSignature.Sign(keys[1], ids[0], Reports(ids[0]))));
        keys.ForEach(k => k.Dispose());
    }

    [Fact]
    public async Task A_workers_key_is_kept_from_its_second_report_on()
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (account, _) = AccountKeys.Create("directory", null, AccountOrigin.Anonymous, now);
        var id = Guid.NewGuid();
        var batch = new WorkBatch();
        batch.Accounts.Add(account);
        batch.Workers.Add(new WorkerRecord(id, account.Id, "directory", SecretHash.Of(SecretHash.NewSecret()),
            Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), 1, now));
        await _store.CommitAsync(batch);
        var directory = new WorkerDirectory(_store);
        var worker = (await directory.FindAsync(id, CancellationToken.None))!;
        IReadOnlyList<ReplicaReport> reports = [SimulatedHost.Success(new ReplicaRef(id, 7, 0), [1, 2, 3])];
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // The first report's key is imported for it alone: a forged one is refused, and nothing is kept.
        Assert.False(directory.SignedBy(worker, reports, ReportSignature.Sign(stranger, id, reports)));
        Assert.Equal(0, directory.KeysHeld);

        // From the second on, the key is kept, and still tells a forged report from the worker's own.
        Assert.True(directory.SignedBy(worker, reports, ReportSignature.Sign(key, id, reports)));
        Assert.Equal(1, directory.KeysHeld);
        Assert.True(directory.SignedBy(worker, reports, ReportSignature.Sign(key, id, reports)));
        Assert.False(directory.SignedBy(worker, reports, ReportSignature.Sign(stranger, id, reports)));
        Assert.Equal(1, directory.KeysHeld);
    }
}

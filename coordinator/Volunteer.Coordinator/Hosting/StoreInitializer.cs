using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Hosting;

/// <summary>
/// Brings the schema up to date, records the bootstrap API key, readies the blob store and reads (or creates) the
/// coordinator's key, all before the silo starts.
/// </summary>
public sealed class StoreInitializer(
    IWorkStore store, IBlobStore blobs, CoordinatorKeyStore coordinatorKey, IOptions<VolunteerOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        if (!string.IsNullOrEmpty(options.Value.ApiKey))
        {
            var batch = new WorkBatch();
            batch.ApiKeys.Add(new ApiKeyRecord(SecretHash.Of(options.Value.ApiKey), time.GetUtcNow()));
            await store.CommitAsync(batch, cancellationToken);
        }
        // After the store's schema, which holds the blob tables and the key's table in cluster mode.
        await blobs.InitializeAsync(cancellationToken);
        await coordinatorKey.LoadAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

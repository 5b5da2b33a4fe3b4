using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Authentication;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;

namespace Volunteer.Coordinator.Hosting;

/// <summary>Brings the schema up to date and records the bootstrap API key before the silo starts.</summary>
public sealed class StoreInitializer(IWorkStore store, IOptions<VolunteerOptions> options, TimeProvider time) : IHostedService
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
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

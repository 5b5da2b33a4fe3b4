using Volunteer.Coordinator.Storage;

namespace Volunteer.Coordinator.Tests;

/// <summary>A store suite's lifetime: a fresh store per test, initialized as the coordinator does, then disposed and dropped.</summary>
public abstract class StoreLifetime : IAsyncLifetime
{
    protected IWorkStore Store { get; private set; } = null!;

    protected abstract Task<IWorkStore> CreateStoreAsync();

    protected virtual Task DropStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        await DropStoreAsync();
    }
}

namespace Volunteer.Api.Tests;

/// <summary>
/// What a test class of whole jobs starts from: a job API client with the key, no job of an earlier
/// test still running (so nothing else is leased), and the workers it attaches, disposed after.
/// </summary>
public abstract class JobScenario<TFactory>(TFactory factory) : IAsyncLifetime
    where TFactory : CoordinatorFactory
{
    private readonly List<SimulatedWorker> _workers = [];

    protected TFactory Factory { get; } = factory;

    protected HttpClient Jobs { get; } = factory.CreateJobsClient();

    public Task InitializeAsync() => Api.CancelRunningJobsAsync(Jobs);

    public Task DisposeAsync()
    {
        _workers.ForEach(w => w.Dispose());
        Jobs.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A worker of this test alone, attached now; it may hold 2 replicas per core in progress.</summary>
    private protected async Task<SimulatedWorker> AttachAsync(string name, int cores = 4)
    {
        var worker = await SimulatedWorker.AttachAsync(Factory, name, cores);
        _workers.Add(worker);
        return worker;
    }
}

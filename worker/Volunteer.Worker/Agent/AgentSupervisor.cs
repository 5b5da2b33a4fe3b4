using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Agent;

/// <summary>Runs the agent process: the agent of each attached project, sharing the machine's slots and limits.</summary>
public static class AgentSupervisor
{
    /// <summary>
    /// Runs the agent until it is stopped (0), or until the coordinator says it does not recognise this
    /// worker (1, as when it is not attached at all), or the agent could not run (1: its peer port is taken, say).
    /// </summary>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, WorkerOptions options)
    {
        if (WorkerIdentity.Load(options.StateDirectory) is not { } identity)
        {
            Console.Error.WriteLine($"Not attached (state directory {options.StateDirectory}); run 'attach URL' first.");
            return 1;
        }
        using var agentLock = AgentLock.TryTake(options.StateDirectory);
        if (agentLock is null)
        {
            Console.Error.WriteLine($"An agent is already running on {options.StateDirectory}.");
            return 1;
        }
        using var key = identity.LoadKey();
        builder.Services.AddWorkerAgent(options, identity, key);
        using var host = builder.Build();
        var agent = host.Services.GetRequiredService<WorkerAgent>();
        await host.RunAsync();
        return agent.Detached || agent.ExecuteTask is { IsFaulted: true } ? 1 : 0;
    }

}

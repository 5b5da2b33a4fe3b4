using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Volunteer.Protocol;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Settings;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>
/// The control side of an agent for the socket's tests: a real <see cref="ComputeGovernor"/> over the limits read
/// from the settings file, the environment and given arguments, as the agent process reads them; it reports one
/// unit that is computing and the projects attached in its state directory.
/// </summary>
public sealed class GovernedAgent : IAgentControl, IAsyncDisposable
{
    public static readonly UnitSnapshot Unit = new("127.0.0.1_1", Guid.Parse("11111111-0000-0000-0000-000000000000"), 3, 1, "primes",
        UnitPhase.Running, 0.25, 0.2, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3), 42.5, 1234, null, 0.2);

    private readonly IConfigurationRoot _configuration;
    private ControlSocket? _socket;
    private int _reloads;

    public GovernedAgent(string stateDirectory, IReadOnlyDictionary<string, string?>? arguments = null)
    {
        StateDirectory = stateDirectory;
        _configuration = new ConfigurationBuilder().UseAgentSources(SettingsFile.PathIn(stateDirectory), arguments ?? new Dictionary<string, string?>()).Build();
        Governor = new ComputeGovernor(ComputeLimits.From(_configuration), TimeProvider.System);
    }

    public string StateDirectory { get; }

    public ComputeGovernor Governor { get; }

    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Starts the control socket answering for this agent.</summary>
    public async Task<GovernedAgent> ListenAsync()
    {
        Directory.CreateDirectory(StateDirectory);
        _socket = new ControlSocket(this, StateDirectory, NullLogger<ControlSocket>.Instance);
        await _socket.StartAsync(CancellationToken.None);
        return this;
    }

    public AgentSnapshot Snapshot() => new(
        "1.0.0-test",
        Environment.ProcessId,
        DateTimeOffset.UtcNow,
        StateDirectory,
        Governor.Limits,
        Governor.PausedBecause,
        Governor.Throttled,
        [.. ProjectFolders.List(StateDirectory).Select(p => new ProjectSnapshot(p.Name, p.Identity.Coordinators, p.Identity.WorkerId, p.Identity.AccountId,
            p.Identity.ResourceShare, null, 0, 2, 12.5, new AgentRelease("2.0.0"), null))],
        [Unit with { Phase = Governor.PausedBecause.Count > 0 ? UnitPhase.Paused : UnitPhase.Running }]);

    public void Pause(TimeSpan? duration) => Governor.PauseByOwner(duration);

    public void Resume() => Governor.ResumeByOwner();

    public ComputeLimits Reload()
    {
        Interlocked.Increment(ref _reloads);
        var limits = AgentSettings.ReloadLimits(_configuration);
        Governor.Apply(limits);
        return limits;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket is not null)
        {
            await _socket.StopAsync(CancellationToken.None);
            _socket.Dispose();
        }
    }
}

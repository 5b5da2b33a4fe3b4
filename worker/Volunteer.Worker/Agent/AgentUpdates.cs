using System.Reflection;
using Volunteer.Protocol;

namespace Volunteer.Worker.Agent;

/// <summary>
/// What a project says of newer agents: each sync answer may announce the latest release (Volunteer:LatestAgentVersion
/// on the coordinator), and when it is newer than this agent the agent says so, once in its log per release announced,
/// and in its status for as long as the announcement stands. It never downloads or runs anything: the code it would
/// run is signed by no one the volunteer trusts, so updating stays the volunteer's decision (issue 13, item 7).
/// </summary>
public sealed partial class AgentUpdates(ILogger logger, AgentVersion running)
{
    private AgentRelease? _latest;
    private string? _lastAnnounced;

    /// <param name="logger">Where a newer release is said.</param>
    public AgentUpdates(ILogger logger)
        : this(logger, RunningVersion)
    {
    }

    /// <summary>
    /// This agent's version as built (the worker project's Version), with the source revision the build appended to
    /// it, e.g. 1.0.0+81edd4f...: what --version prints.
    /// </summary>
    public static string InformationalVersion { get; } =
        typeof(AgentUpdates).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AgentUpdates).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>This agent's version, compared with the releases projects announce.</summary>
    public static AgentVersion RunningVersion { get; } = AgentVersion.TryParse(InformationalVersion, out var version)
        ? version
        : throw new InvalidOperationException($"The agent's own version '{InformationalVersion}' is not a version; the worker project sets it.");

    /// <summary>The release the project last announced, when it is newer than this agent; null otherwise.</summary>
    public AgentRelease? Latest => Volatile.Read(ref _latest);

    /// <summary>
    /// Takes what one sync answer announced. A newer release than this agent becomes <see cref="Latest"/> and is logged
    /// the first time it is announced; a release no newer, an unreadable version or no announcement clears it (the
    /// project withdrew it, or this agent is current).
    /// </summary>
    public void Observe(SyncResponse response) => Observe(response.LatestAgent);

    /// <inheritdoc cref="Observe(SyncResponse)"/>
    public void Observe(AgentRelease? announced)
    {
        if (announced is null || !AgentVersion.TryParse(announced.Version, out var version) || !version.IsNewerThan(running))
        {
            Volatile.Write(ref _latest, null);
            return;
        }
        Volatile.Write(ref _latest, announced);
        // Said once per release: every sync repeats the announcement.
        var key = $"{version.Text} {announced.Download}";
        if (key != _lastAnnounced)
        {
            _lastAnnounced = key;
            NewerAgent(logger, version.Text, announced.Download?.ToString() ?? "the project's site", running.Text);
        }
    }

    [LoggerMessage(2901, LogLevel.Information, "A newer agent {Latest} is available at {Download}; this is {Running}")]
    private static partial void NewerAgent(ILogger logger, string latest, string download, string running);
}

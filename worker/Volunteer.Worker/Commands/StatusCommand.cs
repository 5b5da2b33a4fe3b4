using System.Globalization;
using System.Text.Json;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Commands;

/// <summary>
/// `status`: what the running agent is doing, asked over its control socket; with no agent running, what the
/// attached projects hold on disk (exit 3).
/// </summary>
public static class StatusCommand
{
    public static async Task<int> RunAsync(WorkerOptions options, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var projects = ProjectFolders.List(options.StateDirectory);
        if (projects.Count == 0)
        {
            error.WriteLine($"Not attached (state directory {options.StateDirectory}).");
            return ExitCodes.Failed;
        }
        using var agent = await ControlClient.TryConnectAsync(options.StateDirectory, cancellationToken);
        if (agent is not null)
        {
            var snapshot = await agent.StatusAsync(cancellationToken);
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(snapshot, ControlSocketProtocol.Json));
            }
            else
            {
                Write(snapshot, output);
            }
            return ExitCodes.Ok;
        }
        var running = AgentLock.IsHeld(options.StateDirectory);
        if (json)
        {
            // Scripts asking for JSON get the agent's answer or nothing: files are not the agent's word.
            error.WriteLine(running
                ? $"agent: running, but its control socket does not answer ({ControlSocketProtocol.PathIn(options.StateDirectory)})"
                : "agent: not running");
            return running ? ExitCodes.Failed : ExitCodes.NotRunning;
        }
        output.WriteLine(running
            ? $"agent:                   running, but its control socket does not answer; what its projects hold on disk:"
            : "agent:                   not running");
        foreach (var project in projects)
        {
            WriteOnDisk(project, options, output);
        }
        return running ? ExitCodes.Failed : ExitCodes.NotRunning;
    }

    /// <summary>The running agent as `status` shows it.</summary>
    public static void Write(AgentSnapshot agent, TextWriter output)
    {
        output.WriteLine($"agent:                   running, version {agent.Version}, process {agent.ProcessId} (as of {agent.At:u})");
        output.WriteLine($"state directory:         {agent.StateDirectory}");
        output.WriteLine($"computing:               {Computing(agent)}");
        output.WriteLine($"limits:                  {Limits(agent.Limits)}");
        foreach (var release in agent.Projects.Select(p => p.LatestAgent).OfType<Protocol.AgentRelease>().DistinctBy(r => r.Version))
        {
            output.WriteLine($"newer agent:             {release.Version}{(release.Download is null ? "" : $", from {release.Download}")}");
        }
        foreach (var project in agent.Projects)
        {
            WriteProjectHeading(output, project.Name, project.ResourceShare, project.WorkerId, project.AccountId, project.Coordinators);
            output.WriteLine($"  last sync:             {Described(project.LastSync)}");
            output.WriteLine($"  units buffered:        {project.Buffered}");
            output.WriteLine($"  reports awaiting ack:  {project.PendingReports}");
            if (project.Credit is { } credit)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  credit:                {credit:0.##}"));
            }
            if (project.Peer is { } peer)
            {
                WritePeer(peer, output);
            }
        }
        output.WriteLine($"units:                   {agent.Units.Count(u => u.Phase == UnitPhase.Running)} running, " +
            $"{agent.Units.Count(u => u.Phase == UnitPhase.Paused)} paused, {agent.Units.Count(u => u.Phase == UnitPhase.Waiting)} waiting");
        foreach (var unit in agent.Units.Where(u => u.Phase != UnitPhase.Waiting))
        {
            output.WriteLine($"  job {unit.JobId} unit {unit.UnitIndex} replica {unit.Replica} ({unit.App}, {unit.Project}): {Unit(unit)}");
        }
    }

    /// <summary>Whether units compute now, or every reason they do not.</summary>
    public static string Computing(AgentSnapshot agent) =>
        agent.PausedBecause.Count > 0 ? string.Join("; ", agent.PausedBecause)
        : agent.Throttled ? $"yes, throttled to {agent.Limits.CpuPercent}% of each core"
        : "yes";

    /// <summary>The limits in force on one line.</summary>
    public static string Limits(ComputeLimits limits) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{limits.Slots} slot(s), CPU {limits.CpuPercent}%, memory per unit {Figures.Limit(limits.MemoryPerUnitBytes)}, " +
            $"disk {Figures.Limit(limits.DiskBytes)}, windows {(limits.ComputeWindows.Length == 0 ? "always" : limits.ComputeWindows)}, " +
            $"pause when in use {(limits.PauseWhenInUse ? "yes" : "no")}, pause on battery {(limits.PauseOnBattery ? "yes" : "no")}, " +
            $"checkpoint every {Figures.Duration(limits.CheckpointInterval)}, " +
            $"buffer {Figures.Duration(TimeSpan.FromSeconds(limits.BufferSeconds))} + {Figures.Duration(TimeSpan.FromSeconds(limits.BufferExtraSeconds))}");

    /// <summary>One unit's phase, progress, time to go and CPU time.</summary>
    public static string Unit(UnitSnapshot unit)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{unit.Phase.ToString().ToLowerInvariant()} {Figures.Percent(unit.FractionDone)}, " +
            $"ETA {(unit.Remaining is { } remaining ? Figures.Duration(remaining) : "unknown")}, CPU {unit.CpuSeconds:0.0} s");
        if (unit.ResumedFrom is { } from)
        {
            text += $", resumed from {Figures.Percent(from)}";
        }
        if (unit.CheckpointFraction is { } checkpoint)
        {
            text += $", checkpoint at {Figures.Percent(checkpoint)}";
        }
        return text;
    }

    public static string Described(SyncSummary? sync) => sync is null ? "none yet" : $"{sync.At:u}, {sync.Outcome}";

    /// <summary>Who this host is to a project: the lines `status` starts each project with, agent running or not.</summary>
    private static void WriteProjectHeading(TextWriter output, string name, int share, Guid workerId, Guid? accountId, IReadOnlyList<Uri> coordinators)
    {
        output.WriteLine($"project {name} (share {share})");
        output.WriteLine($"  worker:                {workerId}");
        output.WriteLine($"  account:               {accountId?.ToString() ?? "none recorded (attached before accounts)"}");
        output.WriteLine($"  coordinators:          {string.Join(", ", coordinators)}");
    }

    /// <summary>A project's work held on disk, as `status` shows it with no agent running.</summary>
    private static void WriteOnDisk(AttachedProject project, WorkerOptions options, TextWriter output)
    {
        var identity = project.Identity;
        var (leased, checkpoints, unacknowledged) = new WorkFolder(project.Directory).Count();
        var cache = new BlobCache(project.Directory, options.CacheBytes, TimeProvider.System);
        WriteProjectHeading(output, project.Name, identity.ResourceShare, identity.WorkerId, identity.AccountId, identity.Coordinators);
        output.WriteLine($"  state directory:       {project.Directory}");
        output.WriteLine($"  last sync:             {Described(WorkerStatus.Load(project.Directory)?.LastSync)}");
        output.WriteLine($"  units leased:          {leased} not done, {checkpoints} with a checkpoint");
        output.WriteLine($"  reports awaiting ack:  {unacknowledged}");
        output.WriteLine($"  blob cache:            {Figures.Size(cache.UsedBytes)} of {Figures.Size(cache.Capacity)}, {cache.BlobsHeld} blob(s) held");
        output.WriteLine($"  relayed for others:    {RelayInbox.CountIn(project.Directory)} bundle(s) held to forward");
    }

    private static void WritePeer(PeerStatus peer, TextWriter output)
    {
        output.WriteLine($"  peer endpoint:         {(peer.Endpoint is null ? "not serving" : $"{peer.Endpoint}, upload {Figures.Rate(peer.UploadBytesPerSecond)}")}");
        output.WriteLine($"  blob cache:            {Figures.Size(peer.CacheBytes)} of {Figures.Size(peer.CacheCapacity)}, {peer.BlobsHeld} blob(s) held");
        output.WriteLine($"  relayed for others:    {peer.RelayBundles} bundle(s) held to forward");
        output.WriteLine($"  relayed through peers: {peer.ReportsRelayed} report(s) awaiting ack");
    }
}

using System.Security.Cryptography;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Control;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Commands;

/// <summary>
/// The verbs that change which projects this host computes for: attach, projects, set-share, detach. Each project
/// keeps its identity and work state in its own folder under projects/ in the state directory.
/// </summary>
public static class AgentCommands
{
    /// <summary>
    /// Registers this host with the first of <paramref name="urls"/> (one project's coordinators, tried in turn
    /// afterwards) and saves its identity in the project's folder with <paramref name="share"/>. When the attach made a
    /// new anonymous account, its key goes to <paramref name="output"/>: the coordinator keeps it only hashed.
    /// </summary>
    public static async Task<int> AttachAsync(
        IReadOnlyList<string> urls, WorkerOptions options, int share, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (urls.Count == 0)
        {
            error.WriteLine("attach needs at least one coordinator URL, e.g. attach http://127.0.0.1:5080/");
            return ExitCodes.Usage;
        }
        if (share is < 1 or > 1_000_000)
        {
            error.WriteLine($"--share must be between 1 and 1000000, not {share}.");
            return ExitCodes.Usage;
        }
        var coordinators = new List<Uri>();
        foreach (var url in urls)
        {
            if (CoordinatorUrl(url) is not { } uri)
            {
                error.WriteLine($"'{url}' is not an http(s) URL.");
                return ExitCodes.Usage;
            }
            coordinators.Add(uri);
        }
        var folder = ProjectFolders.For(options.StateDirectory, coordinators[0]);
        if (WorkerIdentity.Load(folder) is { } existing)
        {
            error.WriteLine($"Already attached to {coordinators[0]} as worker {existing.WorkerId} ({folder}); " +
                "'set-share' changes its share, 'detach' leaves it.");
            return ExitCodes.Failed;
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = new HttpClient(CoordinatorConnections.Handler(options)) { Timeout = options.RequestTimeout };
        var request = new WorkerAttachRequest(options.Name, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), options.Slots, options.AccountKey);
        WorkerAttachResponse attached;
        try
        {
            attached = await CoordinatorClient.AttachAsync(http, coordinators[0], request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            error.WriteLine($"Could not attach: {ex.Message}");
            return ExitCodes.Failed;
        }
        new WorkerIdentity(attached.WorkerId, attached.Token, coordinators, Convert.ToBase64String(key.ExportPkcs8PrivateKey()))
        {
            AccountId = attached.AccountId,
            Limits = attached.Limits,
            CoordinatorKey = attached.CoordinatorKey,
            ResourceShare = share,
        }.Save(folder);
        output.WriteLine($"Attached as worker {attached.WorkerId} of account {attached.AccountId}; state in {folder}.");
        if (attached.AccountKey is { } accountKey)
        {
            output.WriteLine("This host has a new anonymous account. Its key attaches more hosts to the same account (attach URL --account KEY); it is shown only this once:");
            output.WriteLine(accountKey);
        }
        if (AgentLock.IsHeld(options.StateDirectory))
        {
            output.WriteLine("The running agent computes for the projects it started with; restart it to compute for this one too.");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Lists the attached projects: name, share, worker id and coordinators.</summary>
    public static int Projects(string stateDirectory, TextWriter output)
    {
        var projects = ProjectFolders.List(stateDirectory);
        if (projects.Count == 0)
        {
            output.WriteLine($"Not attached to any project (state directory {stateDirectory}).");
            return ExitCodes.Ok;
        }
        var total = projects.Sum(p => p.Identity.ResourceShare);
        foreach (var project in projects)
        {
            var identity = project.Identity;
            output.WriteLine($"{project.Name}  share {identity.ResourceShare} ({Figures.Percent((double)identity.ResourceShare / total)})  " +
                $"worker {identity.WorkerId}  {string.Join(", ", identity.Coordinators)}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Changes an attached project's resource share; a running agent takes it at its next reload.</summary>
    public static async Task<int> SetShareAsync(string stateDirectory, string project, int share, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (share is < 1 or > 1_000_000)
        {
            error.WriteLine($"A share is between 1 and 1000000, not {share}.");
            return ExitCodes.Usage;
        }
        if (Find(stateDirectory, project, error) is not { } attached)
        {
            return ExitCodes.Failed;
        }
        (attached.Identity with { ResourceShare = share }).Save(attached.Directory);
        output.WriteLine($"{attached.Name}: share {attached.Identity.ResourceShare} -> {share}.");
        using var agent = await ControlClient.TryConnectAsync(stateDirectory, cancellationToken);
        if (agent is not null)
        {
            await agent.ReloadAsync(cancellationToken);
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Leaves one project (named by its folder name or a coordinator URL; the only one when none is named), or every
    /// project with <paramref name="all"/>: its identity and all the work state the agent kept for it are removed.
    /// Refused while an agent runs.
    /// </summary>
    public static int Detach(string stateDirectory, string? project, bool all, TextWriter output, TextWriter error)
    {
        var projects = ProjectFolders.List(stateDirectory);
        if (projects.Count == 0)
        {
            output.WriteLine("Not attached; nothing to do.");
            return ExitCodes.Ok;
        }
        if (AgentLock.IsHeld(stateDirectory))
        {
            error.WriteLine($"An agent is running on {stateDirectory}; stop it before detaching.");
            return ExitCodes.Failed;
        }
        IReadOnlyList<AttachedProject> leaving;
        if (all)
        {
            leaving = projects;
        }
        else if (project is not null)
        {
            if (Find(stateDirectory, project, error) is not { } named)
            {
                return ExitCodes.Failed;
            }
            leaving = [named];
        }
        else if (projects.Count == 1)
        {
            leaving = projects;
        }
        else
        {
            error.WriteLine($"Attached to {projects.Count} projects ({string.Join(", ", projects.Select(p => p.Name))}); name one, or give --all.");
            return ExitCodes.Usage;
        }
        foreach (var gone in leaving)
        {
            var (_, _, unacknowledged) = new WorkFolder(gone.Directory).Count();
            // The project's folder holds only what the agent wrote for it.
            Directory.Delete(gone.Directory, recursive: true);
            output.WriteLine(unacknowledged == 0
                ? $"Detached from {gone.Name}; its local state removed."
                : $"Detached from {gone.Name}; its local state removed, including {unacknowledged} reports the project had not acknowledged.");
        }
        if (ProjectFolders.List(stateDirectory).Count == 0)
        {
            RemoveAgentFiles(stateDirectory);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The project named by its folder name or one of its coordinators' URLs; null (said on <paramref name="error"/>) when none is.</summary>
    public static AttachedProject? Find(string stateDirectory, string nameOrUrl, TextWriter error)
    {
        var projects = ProjectFolders.List(stateDirectory);
        var url = CoordinatorUrl(nameOrUrl);
        var found = projects.FirstOrDefault(p => p.Name == nameOrUrl
            || (url is not null && (p.Name == ProjectFolders.NameOf(url) || p.Identity.Coordinators.Contains(url))));
        if (found is null)
        {
            error.WriteLine(projects.Count == 0
                ? $"Not attached to any project (state directory {stateDirectory})."
                : $"Not attached to '{nameOrUrl}'; attached: {string.Join(", ", projects.Select(p => p.Name))}.");
        }
        return found;
    }

    /// <summary>A coordinator's base URL as the agent keeps it (ending in /), or null when it is not an http(s) URL.</summary>
    public static Uri? CoordinatorUrl(string url) =>
        Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;

    /// <summary>
    /// Once no project is left, the agent's own files go too (its lock, a socket a killed agent left), and the state
    /// directory if nothing else is in it; the owner's settings file stays.
    /// </summary>
    private static void RemoveAgentFiles(string stateDirectory)
    {
        File.Delete(AgentLock.PathIn(stateDirectory));
        File.Delete(ControlSocketProtocol.PathIn(stateDirectory));
        var projects = ProjectFolders.Root(stateDirectory);
        if (Directory.Exists(projects) && !Directory.EnumerateFileSystemEntries(projects).Any())
        {
            Directory.Delete(projects);
        }
        if (Directory.Exists(stateDirectory) && !Directory.EnumerateFileSystemEntries(stateDirectory).Any())
        {
            Directory.Delete(stateDirectory);
        }
    }
}

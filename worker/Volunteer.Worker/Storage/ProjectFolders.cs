namespace Volunteer.Worker.Storage;

/// <summary>
/// One agent serves several projects (BOINC's attach to many): each attached project keeps its identity and all of
/// its work state (leases, checkpoints, reports, blob cache, relay) in a folder of its own under projects/ in the
/// state directory, named after its first coordinator's address. What belongs to the agent as a whole (its settings,
/// lock and control socket) stays at the top.
/// </summary>
public static class ProjectFolders
{
    public const string FolderName = "projects";

    public static string Root(string stateDirectory) => Path.Combine(stateDirectory, FolderName);

    /// <summary>The folder of the project at <paramref name="coordinator"/>, e.g. projects/127.0.0.1_5080.</summary>
    public static string For(string stateDirectory, Uri coordinator) => Path.Combine(Root(stateDirectory), NameOf(coordinator));

    /// <summary>A project's folder name: its host and port, and its path when it has one, in characters any file system takes.</summary>
    public static string NameOf(Uri coordinator)
    {
        var name = $"{coordinator.Host}_{coordinator.Port}{coordinator.AbsolutePath.TrimEnd('/')}";
        return new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]);
    }

    /// <summary>The projects attached, by folder name.</summary>
    public static IReadOnlyList<AttachedProject> List(string stateDirectory)
    {
        var root = Root(stateDirectory);
        if (!Directory.Exists(root))
        {
            return [];
        }
        return [.. Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(folder => WorkerIdentity.Load(folder) is { } identity ? new AttachedProject(Path.GetFileName(folder), folder, identity) : null)
            .OfType<AttachedProject>()];
    }
}

/// <summary>A project this host is attached to: its folder and its identity there.</summary>
public sealed record AttachedProject(string Name, string Directory, WorkerIdentity Identity);

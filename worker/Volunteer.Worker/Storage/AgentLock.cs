namespace Volunteer.Worker.Storage;

/// <summary>
/// A running agent holds agent.lock in its state directory open exclusively, so that no second agent
/// computes the same leases and the other commands can tell that one is running. The operating system
/// lets go of it when the process ends, however it ends (kill -9 included).
/// </summary>
public sealed class AgentLock : IDisposable
{
    public const string FileName = "agent.lock";

    private readonly FileStream _file;

    private AgentLock(FileStream file) => _file = file;

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>Takes the lock, or returns null when another agent holds it.</summary>
    public static AgentLock? TryTake(string stateDirectory)
    {
        try
        {
            return new AgentLock(new FileStream(PathIn(stateDirectory), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True while an agent runs on this state directory.</summary>
    public static bool IsHeld(string stateDirectory)
    {
        try
        {
            // A reader's shared hold is refused while the agent holds the file exclusively.
            using var probe = new FileStream(PathIn(stateDirectory), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _file.Dispose();
}

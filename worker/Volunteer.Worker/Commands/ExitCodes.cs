namespace Volunteer.Worker.Commands;

/// <summary>What volunteer-worker's exit code tells a script.</summary>
public static class ExitCodes
{
    /// <summary>Done as asked (status: the running agent answered).</summary>
    public const int Ok = 0;

    /// <summary>Failed or refused: not attached, already attached, an agent already runs (or must not), the coordinator refused.</summary>
    public const int Failed = 1;

    /// <summary>A usage error or an invalid setting; nothing was changed.</summary>
    public const int Usage = 2;

    /// <summary>status: attached, but no agent is running (what it holds on disk is shown).</summary>
    public const int NotRunning = 3;

    public const string Help = """
        Exit codes:
          0  done (status: the running agent answered)
          1  failed or refused: not attached, already attached, an agent is (or is not) running, the coordinator refused
          2  usage error or invalid setting; nothing was changed
          3  status: attached, but no agent is running
        """;
}

namespace Volunteer.Cli.Commands;

/// <summary>What volunteer's exit code tells a script.</summary>
public static class ExitCodes
{
    /// <summary>Done as asked (jobs watch: the job completed).</summary>
    public const int Ok = 0;

    /// <summary>The operation failed: the coordinator refused (its problem detail is on stderr), could not be reached, a file could not be read or written; jobs watch: the job failed or was cancelled.</summary>
    public const int Failed = 1;

    /// <summary>A usage error: an unknown command or option, a missing or malformed argument. Nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl+C): the command stopped; what the coordinator had accepted stands.</summary>
    public const int Interrupted = 130;

    public const string Help = """
        Exit codes:
          0  done (jobs watch: the job completed)
          1  failed: the coordinator refused (its message on stderr) or could not be reached, a file could not be
             read or written (jobs watch: the job failed or was cancelled)
          2  usage error: nothing was sent
          130  interrupted (Ctrl+C); what the coordinator had accepted stands
        """;
}

namespace Volunteer.Worker.Agent;

/// <summary>What the agent logs of WebAssembly apps' modules (event ids 2400-2409).</summary>
internal static partial class WasmLog
{
    [LoggerMessage(2400, LogLevel.Information, "Module {Digest} compiled ({Bytes} bytes)")]
    public static partial void Compiled(ILogger logger, string digest, int bytes);

    [LoggerMessage(2401, LogLevel.Warning, "Module of {App} not run for job={JobId} unit={UnitIndex} replica={Replica}: {Reason}")]
    public static partial void NotRun(ILogger logger, string app, Guid jobId, long unitIndex, int replica, string reason);
}

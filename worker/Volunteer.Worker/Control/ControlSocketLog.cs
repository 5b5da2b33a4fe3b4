namespace Volunteer.Worker.Control;

internal static partial class ControlSocketLog
{
    [LoggerMessage(2501, LogLevel.Information, "Control socket listening on {Path}")]
    public static partial void Listening(ILogger logger, string path);

    [LoggerMessage(2502, LogLevel.Warning, "Control socket: refused a request: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(2503, LogLevel.Error, "Control socket could not listen on {Path}; status, pause, resume and set cannot reach this agent")]
    public static partial void CouldNotListen(ILogger logger, Exception exception, string path);

    [LoggerMessage(2504, LogLevel.Information, "Owner asked: {Command}")]
    public static partial void Asked(ILogger logger, string command);

    [LoggerMessage(2505, LogLevel.Warning, "Control socket: a client's connection failed")]
    public static partial void ClientFailed(ILogger logger, Exception exception);
}

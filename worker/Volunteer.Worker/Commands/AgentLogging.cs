namespace Volunteer.Worker.Commands;

/// <summary>Where the running agent's log goes: the console as lines or JSON, or a file while the live view has the terminal.</summary>
public static class AgentLogging
{
    public const string Text = "text";
    public const string Json = "json";

    /// <summary>The log file in the state directory while the live view shows the agent in the terminal.</summary>
    public const string FileName = "agent.log";

    /// <summary>
    /// Text: one line per event on the console (what the tests and scripts read). JSON: one JSON object per event, for a
    /// service's journal. With <paramref name="logFile"/>: text lines to that file, the terminal being the live view's.
    /// </summary>
    public static void Configure(ILoggingBuilder logging, string format, string? logFile)
    {
        logging.ClearProviders();
        if (logFile is not null)
        {
            logging.AddProvider(new LogFileProvider(logFile));
        }
        else if (format == Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // The peer endpoint's every request would otherwise be a line; its own log says what matters.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }
}

/// <summary>
/// Log lines appended to one file. The file is started afresh (the last one kept as .1) when it passes
/// <see cref="MaxBytes"/>, so a long-running agent's log never fills the owner's disk.
/// </summary>
public sealed class LogFileProvider : ILoggerProvider
{
    public const long MaxBytes = 16L * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly string _path;
    private StreamWriter _writer;

    public LogFileProvider(string path)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = Open();
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }

    private StreamWriter Open() => new(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    private void Write(string line)
    {
        lock (_gate)
        {
            if (_writer.BaseStream.Length > MaxBytes)
            {
                _writer.Dispose();
                File.Move(_path, _path + ".1", overwrite: true);
                _writer = Open();
            }
            _writer.WriteLine(line);
        }
    }

    private sealed class FileLogger(LogFileProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var line = $"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss.fff} {logLevel.ToString()[..4].ToLowerInvariant()} {category}: {formatter(state, exception)}";
            provider.Write(exception is null ? line : line + Environment.NewLine + exception);
        }
    }
}

using System.Diagnostics;
using System.Text;

namespace Volunteer.Testing;

/// <summary>
/// A real OS process started by a test: its stdout and stderr lines are collected as they come, and
/// it is always killed (by its process id, with its whole tree) when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly string[] IsolatedPrefixes = ["Volunteer__", "Worker__", "Orleans__", "ASPNETCORE_URLS", "DOTNET_URLS"];
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly Action<string>? _onLine;
    private int? _exitCode;
    private bool _disposed;

    private ChildProcess(string name, Process process, Action<string>? onLine)
    {
        Name = name;
        _process = process;
        _onLine = onLine;
    }

    public string Name { get; }

    public int Id { get; private set; }

    public bool HasExited => ExitCode is not null;

    /// <summary>The exit code once the process has ended (still known after disposal).</summary>
    public int? ExitCode
    {
        get
        {
            if (_exitCode is null && !_disposed && _process.HasExited)
            {
                _exitCode = _process.ExitCode;
            }
            return _exitCode;
        }
    }

    /// <summary>Every line so far; stderr lines start with "[stderr] ".</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with the given arguments and environment overrides. Settings
    /// the test environment might carry for these programs are removed first, so only the given ones apply.
    /// </summary>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var inherited in info.Environment.Keys.Where(k => IsolatedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(inherited);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, onLine);
        process.OutputDataReceived += (_, e) => child.Add(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data, error: true);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {name}: {fileName} {string.Join(' ', info.ArgumentList)}");
        }
        child.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last <paramref name="count"/> lines, as one block for failure messages.</summary>
    public string Tail(int count = 40)
    {
        var lines = Lines;
        var state = HasExited ? $"exited with code {ExitCode}" : "running";
        var header = $"--- {Name} (pid {Id}, {state}), last {Math.Min(count, lines.Count)} of {lines.Count} lines ---";
        return header + Environment.NewLine + string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - count)));
    }

    /// <summary>
    /// Kills the process and its children at once (SIGKILL on Linux: no clean shutdown) without waiting;
    /// safe to call from an output callback.
    /// </summary>
    public void Kill()
    {
        if (_disposed)
        {
            return;
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It had exited already.
        }
    }

    /// <summary><see cref="Kill"/>, then waits for the exit and the last of its output.</summary>
    public async Task KillAsync()
    {
        Kill();
        await WaitForExitAsync(ExitGrace);
    }

    /// <summary>Waits for the process to end (and its output to be read), failing after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s.\n{Tail()}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        try
        {
            await KillAsync();
        }
        catch (TimeoutException)
        {
            // Disposal must not hide the test's own outcome; the OS reaps the process.
        }
        _ = ExitCode;
        _disposed = true;
        _process.Dispose();
    }

    private void Add(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }
        var text = error ? "[stderr] " + line : line;
        lock (_gate)
        {
            _lines.Add(text);
        }
        _onLine?.Invoke(text);
    }
}

using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests;

/// <summary>
/// A program of this repository run from its build output as a separate process, the way an installation
/// runs it: started, killed (SIGKILL) and started again on the same state as the test wants. Each start is
/// a generation of its own, and every generation's log is kept for failure messages.
/// </summary>
public abstract class RestartableProcess(string name, string workingDirectory) : IAsyncDisposable
{
    // What an installation runs in: no development settings files, no developer exception pages.
    private static readonly IReadOnlyDictionary<string, string> Installed = new Dictionary<string, string>
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
    };

    private readonly List<ChildProcess> _generations = [];

    public string Name { get; } = name;

    public bool IsRunning => _generations.Count > 0 && !_generations[^1].HasExited;

    /// <summary>The process id of the current (last started) generation.</summary>
    public int ProcessId => Current.Id;

    /// <summary>How many times the process was started.</summary>
    public int Generation => _generations.Count;

    /// <summary>Every log line of the current (last started) generation so far.</summary>
    public IReadOnlyList<string> Lines => _generations.Count == 0 ? [] : _generations[^1].Lines;

    /// <summary>The program's assembly, looked up when it is started.</summary>
    protected abstract string Program { get; }

    /// <summary>The current (last started) generation.</summary>
    protected ChildProcess Current => _generations[^1];

    /// <summary>The resident memory of the current generation, from /proc, in MiB.</summary>
    public double ResidentMiB()
    {
        var line = File.ReadLines($"/proc/{Current.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>The log lines of one generation (0 = the first start).</summary>
    public IReadOnlyList<string> LinesOf(int generation) => _generations[generation].Lines;

    /// <summary>SIGKILL without waiting; safe to call from a log callback. Follow with <see cref="KillAsync"/>.</summary>
    public void KillNow()
    {
        if (_generations.Count > 0)
        {
            _generations[^1].Kill();
        }
    }

    /// <summary>kill -9: the process gets no chance to flush, checkpoint, finish requests or shut down.</summary>
    public async Task KillAsync()
    {
        if (_generations.Count > 0)
        {
            await _generations[^1].KillAsync();
        }
    }

    /// <summary>The log tail of every generation.</summary>
    public string Tail(int lines = 40) => string.Join(Environment.NewLine, _generations.Select(g => g.Tail(lines)));

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var generation in _generations)
        {
            await generation.DisposeAsync();
        }
    }

    /// <summary>Starts the next generation with these arguments and settings (environment variables).</summary>
    protected ChildProcess StartGeneration(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> settings, Action<string>? onLine = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }
        var process = Run($"{Name}#{_generations.Count + 1}", arguments, settings, onLine);
        _generations.Add(process);
        return process;
    }

    /// <summary>Runs the program once, outside the generations: a command that ends by itself.</summary>
    protected ChildProcess Run(string runName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> settings, Action<string>? onLine = null) =>
        ChildProcess.Start(runName, RepoLayout.DotnetHost, [Program, .. arguments], workingDirectory, AsInstalled(settings), onLine);

    private static Dictionary<string, string> AsInstalled(IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(Installed);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }
        return environment;
    }
}

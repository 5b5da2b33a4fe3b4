using System.Net;
using System.Text.RegularExpressions;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests;

/// <summary>A report the coordinator acknowledged, as the worker logged it.</summary>
public sealed record AcknowledgedReport(Guid WorkerId, string WorkerName, Guid JobId, long UnitIndex, int Replica, string Outcome, string Line);

/// <summary>
/// One worker agent as a separate process with its own state directory: attached once, then run,
/// killed (SIGKILL) and run again on the same state as the test wants. Every connection it makes leaves
/// from <paramref name="sourceAddress"/> (--source-address), so workers on one machine are hosts on
/// different networks to the coordinator, and each attaches with an anonymous account of its own.
/// </summary>
public sealed partial class WorkerProcess(string name, string stateDirectory, string workingDirectory, IPAddress sourceAddress)
    : RestartableProcess(name, workingDirectory)
{
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The settings that make the agent responsive enough for a test.</summary>
    private static readonly IReadOnlyDictionary<string, string> AgentSettings = new Dictionary<string, string>
    {
        ["Worker__IdleSyncInterval"] = "00:00:00.500",
        ["Worker__RetryDelay"] = "00:00:00.200",
        ["Worker__MaxRetryDelay"] = "00:00:02",
    };

    private readonly Lock _gate = new();
    private readonly List<AcknowledgedReport> _acknowledged = [];

    /// <summary>
    /// The agent's settings (environment variables) for attach and run: the responsive defaults above, its peer
    /// endpoint's port, and whatever a test adds before starting it.
    /// </summary>
    public Dictionary<string, string> Settings { get; } = new(AgentSettings);

    /// <summary>Units it computes at once (--slots, to attach and run); one unless a test says otherwise.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>Arguments added to <c>run</c>, e.g. --no-serve.</summary>
    public List<string> RunArguments { get; } = [];

    /// <summary>The port its peer endpoint listens on, on its source address (picked free when the process object is made).</summary>
    public int PeerPort { get; } = FreePort.Next();

    /// <summary>Its peer endpoint's base URL, when it serves.</summary>
    public Uri PeerEndpoint => new($"http://{SourceAddress}:{PeerPort}/");
    private int _unitsStarted;
    private int _syncFailures;

    public string StateDirectory { get; } = stateDirectory;

    /// <summary>
    /// The folder of the project it attached to (first): projects/&lt;host&gt;_&lt;port&gt; in its state directory
    /// (worker/Volunteer.Worker/Storage/ProjectFolders.cs), with its identity and all its work state.
    /// </summary>
    public string ProjectDirectory => ProjectDirectoryOf(_attachedTo ?? throw new InvalidOperationException($"{Name} has not attached."));

    /// <summary>The folder the agent keeps the project at <paramref name="coordinator"/> in.</summary>
    public string ProjectDirectoryOf(Uri coordinator)
    {
        var name = $"{coordinator.Host}_{coordinator.Port}{coordinator.AbsolutePath.TrimEnd('/')}";
        return Path.Combine(StateDirectory, "projects", new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]));
    }

    /// <summary>Whether any project's identity is in its state directory.</summary>
    public bool HasIdentity =>
        Directory.Exists(Path.Combine(StateDirectory, "projects"))
        && Directory.GetFiles(Path.Combine(StateDirectory, "projects"), "identity.json", SearchOption.AllDirectories).Length > 0;

    private Uri? _attachedTo;

    /// <summary>The local address the agent's connections leave from.</summary>
    public IPAddress SourceAddress { get; } = sourceAddress;

    /// <summary>The id the coordinator gave this worker when it attached.</summary>
    public Guid WorkerId { get; private set; }

    /// <summary>The account the worker attached to (a new anonymous one).</summary>
    public Guid AccountId { get; private set; }

    /// <summary>Called (on a reader thread) for every acknowledged report the moment its log line arrives.</summary>
    public Action<WorkerProcess, AcknowledgedReport>? OnAcknowledged { get; set; }

    public IReadOnlyList<AcknowledgedReport> Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return [.. _acknowledged];
            }
        }
    }

    public int AcknowledgedCount
    {
        get
        {
            lock (_gate)
            {
                return _acknowledged.Count;
            }
        }
    }

    public int UnitsStarted => Volatile.Read(ref _unitsStarted);

    /// <summary>How many syncs failed and were retried (e.g. while the coordinator was down).</summary>
    public int SyncFailures => Volatile.Read(ref _syncFailures);

    protected override string Program => RepoLayout.WorkerDll;

    /// <summary>
    /// Runs <c>volunteer-worker attach URL...</c> (with <c>--account</c> if given a key, <c>--share</c> if given a resource
    /// share) to completion and records the worker and account ids it printed; fails unless it attached. Returns every line it wrote.
    /// </summary>
    public async Task<IReadOnlyList<string>> AttachAsync(IReadOnlyList<Uri> coordinators, string? accountKey = null, int? share = null)
    {
        var (exitCode, lines) = await RunAttachAsync(coordinators, accountKey, share);
        var tail = string.Join(Environment.NewLine, lines);
        Assert.True(exitCode == 0, $"attach of {Name} exited with {exitCode}.\n{tail}");
        var attached = lines.Select(l => AttachedLine().Match(l)).FirstOrDefault(m => m.Success);
        Assert.True(attached is not null, $"attach of {Name} did not print its worker and account ids.\n{tail}");
        (WorkerId, AccountId) = (Guid.Parse(attached.Groups["id"].Value), Guid.Parse(attached.Groups["account"].Value));
        return lines;
    }

    /// <summary>Runs <c>volunteer-worker attach URL...</c> to completion, whatever its outcome: its exit code and every line it wrote.</summary>
    public async Task<(int ExitCode, IReadOnlyList<string> Lines)> RunAttachAsync(IReadOnlyList<Uri> coordinators, string? accountKey = null, int? share = null)
    {
        _attachedTo ??= coordinators[0];
        await using var attach = Run(
            $"{Name} attach",
            ["attach", .. coordinators.Select(c => c.ToString()), "--state-dir", StateDirectory, "--slots", Slots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--name", Name,
             "--source-address", SourceAddress.ToString(), .. accountKey is null ? Array.Empty<string>() : ["--account", accountKey],
             .. share is null ? Array.Empty<string>() : ["--share", share.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]],
            Settings);
        var exitCode = await attach.WaitForExitAsync(AttachTimeout);
        return (exitCode, attach.Lines);
    }

    /// <summary>The secret token the agent keeps in its identity file (worker/Volunteer.Worker/Storage/WorkerIdentity.cs).</summary>
    public string ReadToken()
    {
        using var identity = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ProjectDirectory, "identity.json")));
        return identity.RootElement.GetProperty("Token").GetString()
            ?? throw new InvalidOperationException($"{Name}'s identity has no token.");
    }

    /// <summary>Starts <c>volunteer-worker run</c> on this worker's state directory.</summary>
    public void Start() =>
        StartGeneration(["run", "--state-dir", StateDirectory, "--slots", Slots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--source-address", SourceAddress.ToString(), .. RunArguments],
            new Dictionary<string, string>(Settings) { ["Worker__PeerPort"] = PeerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            OnLine);

    /// <summary>
    /// SIGTERM, as a service manager stops the agent: its exit code and how long it took to exit from the signal on.
    /// Throws TimeoutException when it has not exited within <paramref name="timeout"/>.
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Took)> TerminateAsync(TimeSpan timeout)
    {
        var process = Current;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PosixSignals.Terminate(process.Id);
        var exitCode = await process.WaitForExitAsync(timeout);
        return (exitCode, clock.Elapsed);
    }

    /// <summary>
    /// kill -9 at a moment the agent certainly holds work: it is frozen (SIGSTOP) now and then until its
    /// state directory shows a leased unit or an unacknowledged report, and killed in that state. Returns
    /// what it held.
    /// </summary>
    public async Task<(IReadOnlyList<string> Leased, IReadOnlyList<string> Unacknowledged)> KillWhileHoldingWorkAsync(TimeSpan timeout)
    {
        var process = Current;
        var deadline = DateTime.UtcNow + timeout;
        var attempts = 0;
        while (!process.HasExited)
        {
            attempts++;
            if (PosixSignals.IsSupported)
            {
                PosixSignals.Stop(process.Id);
            }
            var held = StateFiles();
            if (held.Leased.Count + held.Unacknowledged.Count > 0 || !PosixSignals.IsSupported)
            {
                await process.KillAsync();
                return held;
            }
            PosixSignals.Continue(process.Id);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} held no work at any of {attempts} looks within {timeout.TotalSeconds:0} s.\n{Tail()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(2));
        }
        throw new InvalidOperationException($"{Name} exited by itself.\n{Tail()}");
    }

    /// <summary>
    /// The agent's durable state as (job, unit, replica) keys: leased units not finished (inbox) and
    /// reports not yet acknowledged (outbox), of the project it attached to first.
    /// </summary>
    public (IReadOnlyList<string> Leased, IReadOnlyList<string> Unacknowledged) StateFiles() => StateFiles(ProjectDirectory);

    /// <summary>The durable state kept in one project's folder.</summary>
    public static (IReadOnlyList<string> Leased, IReadOnlyList<string> Unacknowledged) StateFiles(string projectDirectory)
    {
        var unacknowledged = KeysIn(Path.Combine(projectDirectory, "outbox"));
        // A lease whose report is written is finished, whatever the inbox (rewritten at the next sync) still lists.
        return ([.. KeysIn(Path.Combine(projectDirectory, "inbox")).Except(unacknowledged)], unacknowledged);
    }

    /// <summary>The key <see cref="StateFiles()"/> uses for a replica.</summary>
    public static string KeyOf(Guid jobId, long unitIndex, int replica) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{jobId:N}-{unitIndex}-{replica}");

    // The agent keeps leases and reports in JSON files of one replica or a list of them, each replica with its jobId,
    // unitIndex and replica (worker/Volunteer.Worker/Storage/WorkFolder.cs). A file is replaced whole (renamed into
    // place), so one read sees it entire; one gone between the listing and the read holds nothing any more.
    private static List<string> KeysIn(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }
        var keys = new List<string>();
        foreach (var file in Directory.GetFiles(folder, "*.json"))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            var items = document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array
                ? document.RootElement.EnumerateArray().ToList()
                : [document.RootElement];
            keys.AddRange(items.Select(i => KeyOf(i.GetProperty("jobId").GetGuid(), i.GetProperty("unitIndex").GetInt64(), i.GetProperty("replica").GetInt32())));
        }
        return [.. keys.Distinct().Order(StringComparer.Ordinal)];
    }

    private void OnLine(string line)
    {
        if (AcknowledgedLine().Match(line) is { Success: true } match)
        {
            var report = new AcknowledgedReport(
                WorkerId,
                Name,
                Guid.Parse(match.Groups["job"].Value),
                long.Parse(match.Groups["unit"].Value, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(match.Groups["replica"].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups["outcome"].Value,
                line);
            lock (_gate)
            {
                _acknowledged.Add(report);
            }
            OnAcknowledged?.Invoke(this, report);
        }
        else if (line.Contains("Unit started job=", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _unitsStarted);
        }
        else if (line.Contains(" failed (", StringComparison.Ordinal) && line.Contains("Sync to ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _syncFailures);
        }
    }

    /// <summary>
    /// The (job, unit, replica) keys of the log lines that start with <paramref name="message"/>, e.g.
    /// "Unit started", "Report acknowledged", "Report refused" (worker/Volunteer.Worker/Log.cs).
    /// </summary>
    public static IReadOnlySet<string> ReplicaKeys(IEnumerable<string> lines, string message)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var at = line.IndexOf(message + " job=", StringComparison.Ordinal);
            if (at >= 0 && ReplicaInLine().Match(line, at) is { Success: true } match)
            {
                keys.Add(KeyOf(
                    Guid.Parse(match.Groups["job"].Value),
                    long.Parse(match.Groups["unit"].Value, System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(match.Groups["replica"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        return keys;
    }

    [GeneratedRegex(@"job=(?<job>[0-9a-fA-F-]{36}) unit=(?<unit>\d+) replica=(?<replica>\d+)")]
    private static partial Regex ReplicaInLine();

    [GeneratedRegex(@"Attached as worker (?<id>[0-9a-fA-F-]{36}) of account (?<account>[0-9a-fA-F-]{36})")]
    private static partial Regex AttachedLine();

    [GeneratedRegex(@"Report acknowledged job=(?<job>[0-9a-fA-F-]{36}) unit=(?<unit>\d+) replica=(?<replica>\d+) outcome=(?<outcome>\w+)")]
    private static partial Regex AcknowledgedLine();
}

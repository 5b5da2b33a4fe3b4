using System.Security.Cryptography;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Commands;

/// <summary>The verbs a volunteer uses (attach, run, status, detach) and the switches they take.</summary>
public static class AgentCommands
{
    public const string Usage = """
        Usage: volunteer-worker <command> [options]

          attach URL [URL...]   join the project at these coordinator URLs (generates this host's key pair)
          run                   compute units until stopped (Ctrl+C or SIGTERM)
          status                show this worker's identity and what its agent is doing (or holds, when not running)
          detach                forget the identity and all local work state

        Options (also settable as configuration Worker:X or environment Worker__X):
          --state-dir DIR          where the agent keeps its state (default ~/.local/share/volunteer-worker)
          --slots N                units computed at once (default: processor count)
          --name NAME              this host's name shown to the project (default: machine name)
          --account KEY            attach: join the volunteer account with this key (Worker:AccountKey); without
                                   it, attach makes a new anonymous account and prints its key once
          --source-address ADDR    the local address every connection to the coordinators and peers leaves from, on a
                                   host with several (Worker:SourceAddress; give it to attach and run alike)

        As a peer (run):
          --no-serve               run no peer endpoint: upload nothing to peers, take no reports to relay
                                   (Worker:Serve=false); the agent still fetches from peers and computes
          --peer-port N            the peer endpoint's port (Worker:PeerPort; default 0, any free port)
          --peer-address ADDR      the address it listens on (Worker:PeerAddress; default the source address, else all)
          --upload-limit BYTES     the most the endpoint (and uploads of results) send per second, all peers together
                                   (Worker:UploadBytesPerSecond; default 0, unbounded)
          --cache-size BYTES       the most disk the blob cache takes (Worker:CacheBytes; default 10 GiB)
        """;

    /// <summary>The command line's switches, each the short name of a setting.</summary>
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--state-dir"] = "Worker:StateDirectory",
        ["--slots"] = "Worker:Slots",
        ["--name"] = "Worker:Name",
        ["--account"] = "Worker:AccountKey",
        ["--source-address"] = "Worker:SourceAddress",
        ["--peer-port"] = "Worker:PeerPort",
        ["--peer-address"] = "Worker:PeerAddress",
        ["--upload-limit"] = "Worker:UploadBytesPerSecond",
        ["--cache-size"] = "Worker:CacheBytes",
    };

    /// <summary>Adds the command line's switches (after the command and its arguments) to the configuration.</summary>
    public static void AddSwitches(IConfigurationBuilder configuration, IReadOnlyList<string> switches) =>
        // --no-serve is a flag; the command-line provider takes only switches with values.
        configuration.AddCommandLine([.. switches.Select(s => s == "--no-serve" ? "--Worker:Serve=false" : s)], Switches);

    /// <summary>
    /// Registers this host with the first of <paramref name="urls"/> and saves its identity. When the attach made a
    /// new anonymous account, its key goes to <paramref name="output"/>: the coordinator keeps it only hashed.
    /// </summary>
    public static async Task<int> AttachAsync(IReadOnlyList<string> urls, WorkerOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        if (urls.Count == 0)
        {
            Console.Error.WriteLine("attach needs at least one coordinator URL, e.g. attach http://127.0.0.1:5080/");
            return 2;
        }
        var coordinators = new List<Uri>();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine($"'{url}' is not an http(s) URL.");
                return 2;
            }
            coordinators.Add(uri);
        }
        var projectDirectory = ProjectFolders.For(options.StateDirectory, coordinators[0]);
        if (WorkerIdentity.Load(projectDirectory) is { } existing)
        {
            Console.Error.WriteLine($"Already attached as worker {existing.WorkerId} ({projectDirectory}); run 'detach' first.");
            return 1;
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = new HttpClient(CoordinatorConnections.Handler(options)) { Timeout = options.RequestTimeout };
        var request = new WorkerAttachRequest(options.Name, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), options.Slots, options.AccountKey);
        WorkerAttachResponse attached;
        try
        {
            attached = await CoordinatorClient.AttachAsync(http, coordinators[0], request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            Console.Error.WriteLine($"Could not attach: {ex.Message}");
            return 1;
        }
        new WorkerIdentity(attached.WorkerId, attached.Token, coordinators, Convert.ToBase64String(key.ExportPkcs8PrivateKey()))
        {
            AccountId = attached.AccountId,
            Limits = attached.Limits,
            CoordinatorKey = attached.CoordinatorKey,
        }.Save(projectDirectory);
        output.WriteLine($"Attached as worker {attached.WorkerId} of account {attached.AccountId}; state in {projectDirectory}.");
        if (attached.AccountKey is { } accountKey)
        {
            output.WriteLine("This host has a new anonymous account. Its key attaches more hosts to the same account (attach URL --account KEY); it is shown only this once:");
            output.WriteLine(accountKey);
        }
        return 0;
    }

    public static int Status(WorkerOptions options, TextWriter output)
    {
        var identity = WorkerIdentity.Load(options.StateDirectory);
        if (identity is null)
        {
            output.WriteLine($"Not attached (state directory {options.StateDirectory}).");
            return 1;
        }
        output.WriteLine($"Worker {identity.WorkerId}");
        output.WriteLine($"  account:                 {identity.AccountId?.ToString() ?? "none recorded (attached before accounts)"}");
        output.WriteLine($"  coordinators:            {string.Join(", ", identity.Coordinators)}");
        output.WriteLine($"  state directory:         {options.StateDirectory}");
        var status = WorkerStatus.Load(options.StateDirectory);
        if (AgentLock.IsHeld(options.StateDirectory))
        {
            // The running agent owns the work folder; what it holds is read from what it wrote.
            if (status is null)
            {
                output.WriteLine("  agent:                   running, starting up");
                return 0;
            }
            output.WriteLine($"  agent:                   running, {status.Running.Count} of {status.Slots} slots busy (as of {status.WrittenAt:u})");
            output.WriteLine($"  last sync:               {Described(status.LastSync)}");
            foreach (var unit in status.Running)
            {
                output.WriteLine($"    job {unit.JobId} unit {unit.UnitIndex} replica {unit.Replica} ({unit.App}): {unit.FractionDone:0%} done");
            }
            output.WriteLine($"  reports awaiting ack:    {status.PendingReports}");
            if (status.Peer is { } peer)
            {
                output.WriteLine($"  peer endpoint:           {(peer.Endpoint is null ? "not serving" : $"{peer.Endpoint}, upload {Rate(peer.UploadBytesPerSecond)}")}");
                output.WriteLine($"  blob cache:              {Size(peer.CacheBytes)} of {Size(peer.CacheCapacity)}, {peer.BlobsHeld} blob(s) held");
                output.WriteLine($"  relayed for others:      {peer.RelayBundles} bundle(s) held to forward");
                output.WriteLine($"  relayed through peers:   {peer.ReportsRelayed} report(s) awaiting ack");
            }
            return 0;
        }
        var (leased, checkpoints, unacknowledged) = new WorkFolder(options.StateDirectory).Count();
        var cache = new BlobCache(options.StateDirectory, options.CacheBytes, TimeProvider.System);
        output.WriteLine("  agent:                   not running");
        output.WriteLine($"  last sync:               {Described(status?.LastSync)}");
        output.WriteLine($"  units leased, not done:  {leased} ({checkpoints} with a checkpoint)");
        output.WriteLine($"  reports awaiting ack:    {unacknowledged}");
        output.WriteLine($"  blob cache:              {Size(cache.UsedBytes)} of {Size(cache.Capacity)}, {cache.BlobsHeld} blob(s) held");
        output.WriteLine($"  relayed for others:      {RelayInbox.CountIn(options.StateDirectory)} bundle(s) held to forward");
        return 0;
    }

    public static int Detach(WorkerOptions options)
    {
        if (WorkerIdentity.Load(options.StateDirectory) is null)
        {
            Console.WriteLine("Not attached; nothing to do.");
            return 0;
        }
        if (AgentLock.IsHeld(options.StateDirectory))
        {
            Console.Error.WriteLine($"An agent is running on {options.StateDirectory}; stop it before detaching.");
            return 1;
        }
        var folder = new WorkFolder(options.StateDirectory);
        var (_, _, unacknowledged) = folder.Count();
        // Only what the agent wrote is removed: the state directory may be shared with other files.
        folder.Delete();
        BlobCache.Delete(options.StateDirectory);
        RelayInbox.Delete(options.StateDirectory);
        foreach (var file in new[]
        {
            WorkerIdentity.PathIn(options.StateDirectory), WorkerStatus.PathIn(options.StateDirectory), AgentLock.PathIn(options.StateDirectory),
            Path.Combine(options.StateDirectory, RelayCourier.FileName),
        })
        {
            File.Delete(file);
        }
        if (!Directory.EnumerateFileSystemEntries(options.StateDirectory).Any())
        {
            Directory.Delete(options.StateDirectory);
        }
        Console.WriteLine(unacknowledged == 0
            ? "Detached; local state removed."
            : $"Detached; local state removed, including {unacknowledged} reports the project had not acknowledged.");
        return 0;
    }

    /// <summary>Runs the agent until it is stopped; see <see cref="AgentSupervisor.RunAsync"/>.</summary>
    public static Task<int> RunAsync(HostApplicationBuilder builder, WorkerOptions options) => AgentSupervisor.RunAsync(builder, options);

    private static string Described(SyncSummary? sync) => sync is null ? "none yet" : $"{sync.At:u}, {sync.Outcome}";

    private static string Rate(long bytesPerSecond) => bytesPerSecond == 0 ? "unbounded" : $"at most {Size(bytesPerSecond)}/s";

    /// <summary>A size in the largest binary unit it reaches, e.g. 1.5 MiB.</summary>
    private static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value:0.#} {units[unit]}";
    }
}

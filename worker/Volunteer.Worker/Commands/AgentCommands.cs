using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Commands;

/// <summary>The verbs a volunteer uses: attach, run, status, detach.</summary>
public static class AgentCommands
{
    public const string Usage = """
        Usage: volunteer-worker <command> [options]

          attach URL [URL...]   join the project at these coordinator URLs (generates this host's key pair)
          run                   compute units until stopped (Ctrl+C or SIGTERM)
          status                show this worker's identity and the work it holds
          detach                forget the identity and all local work state

        Options (also settable as configuration Worker:X or environment Worker__X):
          --state-dir DIR   where the agent keeps its state (default ~/.local/share/volunteer-worker)
          --slots N         units computed at once (default: processor count)
          --name NAME       this host's name shown to the project (default: machine name)
        """;

    public static async Task<int> AttachAsync(IReadOnlyList<string> urls, WorkerOptions options, CancellationToken cancellationToken)
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
        if (WorkerIdentity.Load(options.StateDirectory) is { } existing)
        {
            Console.Error.WriteLine($"Already attached as worker {existing.WorkerId} ({options.StateDirectory}); run 'detach' first.");
            return 1;
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = new HttpClient { Timeout = options.RequestTimeout };
        var request = new WorkerAttachRequest(options.Name, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), options.Slots);
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
            .Save(options.StateDirectory);
        Console.WriteLine($"Attached as worker {attached.WorkerId}; state in {options.StateDirectory}.");
        return 0;
    }

    public static int Status(WorkerOptions options)
    {
        var identity = WorkerIdentity.Load(options.StateDirectory);
        if (identity is null)
        {
            Console.WriteLine($"Not attached (state directory {options.StateDirectory}).");
            return 1;
        }
        var (leased, checkpoints, unacknowledged) = new WorkFolder(options.StateDirectory).Count();
        Console.WriteLine($"Worker {identity.WorkerId}");
        Console.WriteLine($"  coordinators:            {string.Join(", ", identity.Coordinators)}");
        Console.WriteLine($"  state directory:         {options.StateDirectory}");
        Console.WriteLine($"  slots:                   {options.Slots}");
        Console.WriteLine($"  units leased, not done:  {leased} ({checkpoints} with a checkpoint)");
        Console.WriteLine($"  reports awaiting ack:    {unacknowledged}");
        return 0;
    }

    public static int Detach(WorkerOptions options)
    {
        if (WorkerIdentity.Load(options.StateDirectory) is null)
        {
            Console.WriteLine("Not attached; nothing to do.");
            return 0;
        }
        var folder = new WorkFolder(options.StateDirectory);
        var (_, _, unacknowledged) = folder.Count();
        // Only what the agent wrote is removed: the state directory may be shared with other files.
        folder.Delete();
        File.Delete(WorkerIdentity.PathIn(options.StateDirectory));
        if (!Directory.EnumerateFileSystemEntries(options.StateDirectory).Any())
        {
            Directory.Delete(options.StateDirectory);
        }
        Console.WriteLine(unacknowledged == 0
            ? "Detached; local state removed."
            : $"Detached; local state removed, including {unacknowledged} reports the project had not acknowledged.");
        return 0;
    }

    public static async Task<int> RunAsync(HostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(Volunteer.Apps.ScienceAppCatalog.BuiltIn);
        builder.Services.AddHttpClient<CoordinatorClient>(http => http.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddHostedService<WorkerAgent>();
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        if (WorkerIdentity.Load(options.StateDirectory) is null)
        {
            Console.Error.WriteLine($"Not attached (state directory {options.StateDirectory}); run 'attach URL' first.");
            return 1;
        }
        await host.RunAsync();
        return 0;
    }
}

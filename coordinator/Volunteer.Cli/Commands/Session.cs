using System.CommandLine;
using System.Text.Json;
using Volunteer.Client;

namespace Volunteer.Cli.Commands;

/// <summary>
/// What every command shares: the global options naming the coordinator and the API key, the terminal, and the
/// one place where a failure becomes a message on stderr and an exit code.
/// </summary>
public sealed class Session(Terminal terminal)
{
    public const string CoordinatorVariable = "VOLUNTEER_COORDINATOR";
    public const string ApiKeyVariable = "VOLUNTEER_API_KEY";
    public const string DefaultCoordinator = "http://127.0.0.1:5080/";

    /// <summary>How long one request may take before the coordinator is said not to answer.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    public Terminal Terminal { get; } = terminal;

    public Option<string> Coordinator { get; } = new("--coordinator")
    {
        Description = $"the coordinator's URL (default: ${CoordinatorVariable}, else {DefaultCoordinator})",
        HelpName = "URL",
        Recursive = true,
    };

    // No default value shown in help: it would print the key from the environment.
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"your API key, sent as the X-Api-Key header (default: ${ApiKeyVariable})",
        HelpName = "KEY",
        Recursive = true,
    };

    /// <summary>
    /// Runs a command's work with a client of the coordinator the command line names. A refusal prints the
    /// coordinator's problem detail on stderr and exits 1, as does an unreachable coordinator or a file that cannot
    /// be read or written; a usage error found late exits 2.
    /// </summary>
    public async Task<int> RunAsync(ParseResult result, Func<VolunteerClient, Task<int>> work)
    {
        var error = Terminal.Error;
        Uri coordinator;
        try
        {
            coordinator = CoordinatorOf(result);
        }
        catch (UsageException usage)
        {
            error.WriteLine(usage.Message);
            return ExitCodes.Usage;
        }
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = RequestTimeout };
        if ((result.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable)) is { Length: > 0 } key)
        {
            http.DefaultRequestHeaders.Add(Protocol.Routes.ApiKeyHeader, key);
        }
        using var client = new VolunteerClient(http);
        try
        {
            return await work(client);
        }
        catch (VolunteerApiException refused)
        {
            error.WriteLine(refused.Message);
            return ExitCodes.Failed;
        }
        catch (HttpRequestException unreachable)
        {
            error.WriteLine($"Cannot reach the coordinator at {coordinator}: {unreachable.Message}");
            return ExitCodes.Failed;
        }
        catch (TaskCanceledException timeout) when (timeout.InnerException is TimeoutException)
        {
            error.WriteLine($"The coordinator at {coordinator} did not answer within {RequestTimeout.TotalSeconds:0} s.");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: what was sent stays done (a submitted job runs on; a watched one too).
            error.WriteLine("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception file) when (file is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
        {
            error.WriteLine(file.Message);
            return ExitCodes.Failed;
        }
        catch (UsageException usage)
        {
            error.WriteLine(usage.Message);
            return ExitCodes.Usage;
        }
    }

    /// <summary>The coordinator's base URL: the option, else the environment, else the local default; an absolute http(s) URL.</summary>
    private Uri CoordinatorOf(ParseResult result)
    {
        var text = result.GetValue(Coordinator) ?? Environment.GetEnvironmentVariable(CoordinatorVariable) ?? DefaultCoordinator;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--coordinator: '{text}' is not an http:// or https:// URL.");
        }
        return VolunteerClient.BaseAddressOf(url);
    }
}

using System.Net;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Worker.Commands;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests;

/// <summary>The attach command against a coordinator on a real loopback socket.</summary>
public sealed class AttachCommandTests : IDisposable
{
    private static readonly Guid WorkerId = Guid.Parse("99999999-8888-7777-6666-555555555555");
    private static readonly Guid AccountId = Guid.Parse("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");

    private readonly TempDirectory _state = new();

    [Fact]
    public async Task Attach_under_an_account_key_sends_the_key_and_keeps_the_account_id_in_the_projects_folder()
    {
        using var coordinator = Attaching(newAccountKey: null);

        var (exitCode, lines, _) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, Name = "host-1", Slots = 2, AccountKey = "the-account-key" });

        var folder = ProjectFolders.For(_state.Path, coordinator.Url);
        Assert.Equal(0, exitCode);
        Assert.Equal([$"Attached as worker {WorkerId} of account {AccountId}; state in {folder}."], lines);
        var arrived = Assert.Single(coordinator.Arrived);
        Assert.Equal(("POST", "/" + Routes.Workers), (arrived.Method, arrived.Path));
        var sent = JsonSerializer.Deserialize<WorkerAttachRequest>(arrived.Body, ProtocolJson.Options)!;
        Assert.Equal(("host-1", 2, "the-account-key"), (sent.Name, sent.Cores, sent.AccountKey));
        var saved = WorkerIdentity.Load(folder)!;
        Assert.Equal((WorkerId, AccountId, 100), (saved.WorkerId, saved.AccountId, saved.ResourceShare));
        Assert.Equal([coordinator.Url], saved.Coordinators);
        Assert.Null(WorkerIdentity.Load(_state.Path));
    }

    [Fact]
    public async Task Attach_without_an_account_key_prints_the_key_of_the_new_anonymous_account_once()
    {
        using var coordinator = Attaching(newAccountKey: "fresh-account-key");

        var (exitCode, lines, _) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path });

        Assert.Equal(0, exitCode);
        Assert.Equal(
        [
            $"Attached as worker {WorkerId} of account {AccountId}; state in {ProjectFolders.For(_state.Path, coordinator.Url)}.",
            "This host has a new anonymous account. Its key attaches more hosts to the same account (attach URL --account KEY); it is shown only this once:",
            "fresh-account-key",
        ], lines);
        Assert.Null(JsonSerializer.Deserialize<WorkerAttachRequest>(Assert.Single(coordinator.Arrived).Body, ProtocolJson.Options)!.AccountKey);
        // The account key is the volunteer's to keep; the agent needs only its own token.
        Assert.DoesNotContain("fresh-account-key", File.ReadAllText(WorkerIdentity.PathIn(ProjectFolders.For(_state.Path, coordinator.Url))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_connects_from_the_source_address()
    {
        using var coordinator = Attaching(newAccountKey: null);

        var (exitCode, _, _) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, SourceAddress = "127.0.0.57" });

        Assert.Equal(0, exitCode);
        Assert.Equal(IPAddress.Parse("127.0.0.57"), Assert.Single(coordinator.Arrived).From);
    }

    [Fact]
    public async Task Attach_refused_for_an_unknown_account_key_saves_no_identity()
    {
        using var coordinator = new ListeningCoordinator(HttpStatusCode.Unauthorized, """{"detail":"The account key is not recognised."}""");

        var (exitCode, lines, errors) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, AccountKey = "wrong" });

        Assert.Equal((1, 0), (exitCode, lines.Length));
        Assert.StartsWith("Could not attach: The coordinator refused to attach this worker (HTTP 401)", Assert.Single(errors), StringComparison.Ordinal);
        Assert.Empty(ProjectFolders.List(_state.Path));
    }

    [Fact]
    public async Task Two_projects_are_attached_side_by_side_each_with_its_share_and_the_same_project_twice_is_refused()
    {
        using var first = Attaching(newAccountKey: null);
        using var second = Attaching(newAccountKey: null);

        var (firstExit, _, _) = await AttachAsync(first, new WorkerOptions { StateDirectory = _state.Path }, share: 300);
        var (secondExit, _, _) = await AttachAsync(second, new WorkerOptions { StateDirectory = _state.Path });
        var (againExit, againLines, againErrors) = await AttachAsync(first, new WorkerOptions { StateDirectory = _state.Path }, share: 50);

        Assert.Equal((0, 0, 1), (firstExit, secondExit, againExit));
        Assert.Empty(againLines);
        Assert.StartsWith($"Already attached to {first.Url} as worker {WorkerId}", Assert.Single(againErrors), StringComparison.Ordinal);
        Assert.Single(first.Arrived);
        Assert.Equal(
            [(ProjectFolders.NameOf(first.Url), 300), (ProjectFolders.NameOf(second.Url), 100)],
            ProjectFolders.List(_state.Path).Select(p => (p.Name, p.Identity.ResourceShare)).OrderBy(p => p.Item2 == 100));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/", 100)]
    [InlineData("not a url", 100)]
    [InlineData("http://127.0.0.1:5080/", 0)]
    public async Task Attach_with_a_bad_url_or_share_is_a_usage_error_and_asks_no_coordinator(string url, int share)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await AgentCommands.AttachAsync([url], new WorkerOptions { StateDirectory = _state.Path }, share, output, error, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Empty(ProjectFolders.List(_state.Path));
    }

    public void Dispose() => _state.Dispose();

    private static ListeningCoordinator Attaching(string? newAccountKey) => new(
        HttpStatusCode.Created,
        JsonSerializer.Serialize(new WorkerAttachResponse(WorkerId, "token", SyncLimits.Default, AccountId, newAccountKey), ProtocolJson.Options));

    private static async Task<(int ExitCode, string[] Lines, string[] Errors)> AttachAsync(ListeningCoordinator coordinator, WorkerOptions options, int share = 100)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await AgentCommands.AttachAsync([coordinator.Url.ToString()], options, share, output, error, CancellationToken.None);
        return (exitCode, Lines(output), Lines(error));
    }

    private static string[] Lines(StringWriter writer) => writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}

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
    public async Task Attach_under_an_account_key_sends_the_key_and_keeps_the_account_id()
    {
        using var coordinator = Attaching(newAccountKey: null);

        var (exitCode, lines) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, Name = "host-1", Slots = 2, AccountKey = "the-account-key" });

        Assert.Equal(0, exitCode);
        var project = ProjectFolders.For(_state.Path, coordinator.Url);
        Assert.Equal([$"Attached as worker {WorkerId} of account {AccountId}; state in {project}."], lines);
        var arrived = Assert.Single(coordinator.Arrived);
        Assert.Equal(("POST", "/" + Routes.Workers), (arrived.Method, arrived.Path));
        var sent = JsonSerializer.Deserialize<WorkerAttachRequest>(arrived.Body, ProtocolJson.Options)!;
        Assert.Equal(("host-1", 2, "the-account-key"), (sent.Name, sent.Cores, sent.AccountKey));
        Assert.Equal((WorkerId, AccountId), (WorkerIdentity.Load(project)!.WorkerId, WorkerIdentity.Load(project)!.AccountId));
    }

    [Fact]
    public async Task Attach_without_an_account_key_prints_the_key_of_the_new_anonymous_account_once()
    {
        using var coordinator = Attaching(newAccountKey: "fresh-account-key");

        var (exitCode, lines) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path });

        Assert.Equal(0, exitCode);
        var project = ProjectFolders.For(_state.Path, coordinator.Url);
        Assert.Equal(
        [
            $"Attached as worker {WorkerId} of account {AccountId}; state in {project}.",
            "This host has a new anonymous account. Its key attaches more hosts to the same account (attach URL --account KEY); it is shown only this once:",
            "fresh-account-key",
        ], lines);
        Assert.Null(JsonSerializer.Deserialize<WorkerAttachRequest>(Assert.Single(coordinator.Arrived).Body, ProtocolJson.Options)!.AccountKey);
        // The account key is the volunteer's to keep; the agent needs only its own token.
        Assert.DoesNotContain("fresh-account-key", File.ReadAllText(WorkerIdentity.PathIn(project)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_connects_from_the_source_address()
    {
        using var coordinator = Attaching(newAccountKey: null);

        var (exitCode, _) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, SourceAddress = "127.0.0.57" });

        Assert.Equal(0, exitCode);
        Assert.Equal(IPAddress.Parse("127.0.0.57"), Assert.Single(coordinator.Arrived).From);
    }

    [Fact]
    public async Task Attach_refused_for_an_unknown_account_key_saves_no_identity()
    {
        using var coordinator = new ListeningCoordinator(HttpStatusCode.Unauthorized, """{"detail":"The account key is not recognised."}""");

        var (exitCode, lines) = await AttachAsync(coordinator, new WorkerOptions { StateDirectory = _state.Path, AccountKey = "wrong" });

        Assert.Equal((1, 0), (exitCode, lines.Length));
        Assert.Null(WorkerIdentity.Load(_state.Path));
    }

    public void Dispose() => _state.Dispose();

    private static ListeningCoordinator Attaching(string? newAccountKey) => new(
        HttpStatusCode.Created,
        JsonSerializer.Serialize(new WorkerAttachResponse(WorkerId, "token", SyncLimits.Default, AccountId, newAccountKey), ProtocolJson.Options));

    private static async Task<(int ExitCode, string[] Lines)> AttachAsync(ListeningCoordinator coordinator, WorkerOptions options)
    {
        using var output = new StringWriter();
        var exitCode = await AgentCommands.AttachAsync([coordinator.Url.ToString()], options, output, CancellationToken.None);
        return (exitCode, output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}

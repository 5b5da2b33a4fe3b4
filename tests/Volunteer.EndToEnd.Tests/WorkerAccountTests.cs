using Volunteer.Testing;
using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>The worker agent's attach command, as a volunteer runs it, joining hosts to accounts on a real coordinator.</summary>
public sealed class WorkerAccountTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string KeyShownOnce = "This host has a new anonymous account. Its key attaches more hosts to the same account (attach URL --account KEY); it is shown only this once:";

    private readonly string _folder = TestFolders.Create("accounts");
    private readonly List<WorkerProcess> _workers = [];
    private CoordinatorProcess? _coordinator;

    private CoordinatorProcess Coordinator => _coordinator!;

    public async Task InitializeAsync()
    {
        _coordinator = new CoordinatorProcess("coordinator", Path.Combine(_folder, "data"), "accounts-test-key", new Dictionary<string, string>());
        await _coordinator.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }
        TestFolders.Delete(_folder, output);
    }

    [Fact]
    public async Task Hosts_attach_to_a_signed_up_account_or_to_a_new_anonymous_one_whose_printed_key_attaches_the_next()
    {
        using var http = new HttpClient();
        var alice = await VolunteerAccounts.SignUpAsync(http, Coordinator.BaseAddress, "alice");

        var aliceHost = Worker("alice-host");
        await aliceHost.AttachAsync([Coordinator.BaseAddress], alice.AccountKey);
        var anonymous = Worker("anonymous-host");
        var lines = await anonymous.AttachAsync([Coordinator.BaseAddress]);
        var shownAt = lines.ToList().IndexOf(KeyShownOnce);
        Assert.True(shownAt >= 0 && shownAt + 1 < lines.Count, string.Join(Environment.NewLine, lines));
        var sameAccount = Worker("second-anonymous-host");
        await sameAccount.AttachAsync([Coordinator.BaseAddress], accountKey: lines[shownAt + 1]);

        Assert.Equal(alice.AccountId, aliceHost.AccountId);
        Assert.NotEqual(alice.AccountId, anonymous.AccountId);
        Assert.Equal(anonymous.AccountId, sameAccount.AccountId);
    }

    [Fact]
    public async Task An_unknown_account_key_is_refused_and_the_host_stays_unattached()
    {
        var host = Worker("wrong-key-host");

        var (exitCode, lines) = await host.RunAttachAsync([Coordinator.BaseAddress], accountKey: "not-a-key-of-this-project");

        Assert.Equal(1, exitCode);
        Assert.Contains(lines, line => line.StartsWith("[stderr] Could not attach: The coordinator refused to attach this worker (HTTP 401)", StringComparison.Ordinal));
        Assert.False(host.HasIdentity);
    }

    private WorkerProcess Worker(string name)
    {
        var worker = new WorkerProcess(name, Path.Combine(_folder, name), _folder, LoopbackSources.Next());
        _workers.Add(worker);
        return worker;
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Volunteer.Worker.Control;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>The agent's control socket, served for an in-test agent, spoken to over a real Unix domain socket.</summary>
public sealed class ControlSocketTests : IAsyncLifetime
{
    private readonly TempDirectory _state = new();
    private GovernedAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await new GovernedAgent(_state.Path).ListenAsync();

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _state.Dispose();
    }

    [Fact]
    public async Task Status_answers_with_the_agents_snapshot()
    {
        using var client = await Connect();

        var snapshot = await client.StatusAsync(CancellationToken.None);

        Assert.Equal((Environment.ProcessId, _state.Path, 100), (snapshot.ProcessId, snapshot.StateDirectory, snapshot.Limits.CpuPercent));
        Assert.Equal(GovernedAgent.Unit, Assert.Single(snapshot.Units));
        Assert.Empty(snapshot.PausedBecause);
    }

    [Fact]
    public async Task Pause_holds_the_agent_until_resume_and_a_pause_for_a_while_says_until_when()
    {
        using var client = await Connect();

        await client.PauseAsync(null, CancellationToken.None);
        var paused = await client.StatusAsync(CancellationToken.None);
        await client.ResumeAsync(CancellationToken.None);
        var resumed = await client.StatusAsync(CancellationToken.None);
        await client.PauseAsync(TimeSpan.FromHours(2), CancellationToken.None);

        Assert.Equal(["paused by the owner"], paused.PausedBecause);
        Assert.Equal(UnitPhase.Paused, paused.Units[0].Phase);
        Assert.Empty(resumed.PausedBecause);
        Assert.StartsWith("paused by the owner until ", Assert.Single(_agent.Governor.PausedBecause), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_reads_the_settings_file_again_and_answers_with_the_limits_in_force()
    {
        using var client = await Connect();
        File.WriteAllText(Path.Combine(_state.Path, "settings.json"), """{"Worker": {"CpuPercent": 50, "Slots": 3}}""");

        var limits = await client.ReloadAsync(CancellationToken.None);

        Assert.Equal((50, 3), (limits.CpuPercent, limits.Slots));
        Assert.Equal((50, true), (_agent.Governor.Limits.CpuPercent, _agent.Governor.Throttled));
    }

    [Fact]
    public async Task A_reload_of_settings_that_do_not_hold_is_refused_and_the_limits_stay()
    {
        using var client = await Connect();
        File.WriteAllText(Path.Combine(_state.Path, "settings.json"), """{"Worker": {"CpuPercent": 500}}""");

        var refused = await Assert.ThrowsAsync<ControlRefusedException>(() => client.ReloadAsync(CancellationToken.None));

        Assert.Equal("DataAnnotation validation failed for 'ComputeLimits' members: 'CpuPercent' with the error: 'The field CpuPercent must be between 1 and 100.'.", refused.Message);
        Assert.Equal(100, _agent.Governor.Limits.CpuPercent);
        // The connection stays usable: a refused reload is an answer, not a broken request.
        Assert.Equal(100, (await client.StatusAsync(CancellationToken.None)).Limits.CpuPercent);
    }

    [Theory]
    [InlineData("not json", "malformed request: not a JSON request object")]
    [InlineData("[1,2]", "malformed request: not a JSON request object")]
    [InlineData("{}", "malformed request: no command")]
    [InlineData("""{"command":"shutdown"}""", "malformed request: unknown command 'shutdown' (status, pause, resume, reload)")]
    [InlineData("""{"command":"pause","duration":"-00:01:00"}""", "malformed request: a pause's duration must be positive")]
    [InlineData("""{"command":"pause","duration":"soon"}""", "malformed request: not a JSON request object")]
    public async Task A_malformed_request_gets_an_error_answer_and_the_connection_closed(string request, string error)
    {
        using var socket = await RawConnect();

        var (answer, closed) = await Exchange(socket, Encoding.UTF8.GetBytes(request + "\n"));

        Assert.False(answer.Ok);
        Assert.StartsWith(error, answer.Error, StringComparison.Ordinal);
        Assert.True(closed);
        Assert.Empty(_agent.Governor.PausedBecause);
        await AssertStillServes();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_longer_than_4_KiB_gets_an_error_answer_and_the_connection_closed(bool endsInNewline)
    {
        using var socket = await RawConnect();
        var request = Encoding.UTF8.GetBytes($$"""{"command":"status","padding":"{{new string('x', 8000)}}"}""" + (endsInNewline ? "\n" : ""));

        var (answer, closed) = await Exchange(socket, request);

        Assert.Equal((false, "malformed request: a request is one line of at most 4096 bytes"), (answer.Ok, answer.Error));
        Assert.True(closed);
        await AssertStillServes();
    }

    [Fact]
    public async Task Several_requests_on_one_connection_each_get_their_answer_in_order()
    {
        using var socket = await RawConnect();
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"command\":\"pause\"}\n{\"command\":\"status\"}\n{\"command\":\"resume\"}\n{\"command\":\"status\"}\n"));

        var answers = await ReadLines(socket, 4);

        Assert.All(answers, a => Assert.True(a.Ok));
        Assert.Equal(["paused by the owner"], answers[1].Snapshot!.PausedBecause);
        Assert.Empty(answers[3].Snapshot!.PausedBecause);
    }

    [Fact]
    public async Task Concurrent_clients_are_all_answered()
    {
        var clients = Enumerable.Range(0, 40).Select(async _ =>
        {
            using var client = await Connect();
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(Environment.ProcessId, (await client.StatusAsync(CancellationToken.None)).ProcessId);
            }
        });

        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void The_socket_is_open_to_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var path = ControlSocketProtocol.PathIn(_state.Path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(Directory.Exists(Path.Combine(_state.Path, ".sock")));
    }

    [Fact]
    public async Task A_socket_left_by_a_killed_agent_is_replaced_and_a_stopped_agent_leaves_none()
    {
        var path = ControlSocketProtocol.PathIn(_state.Path);
        await _agent.DisposeAsync();
        Assert.False(File.Exists(path));
        // What kill -9 leaves: a bound socket file nobody listens on.
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path));
        }
        Assert.Null(await ControlClient.TryConnectAsync(_state.Path, CancellationToken.None));

        _agent = await new GovernedAgent(_state.Path).ListenAsync();

        await AssertStillServes();
    }

    [Fact]
    public async Task With_no_agent_there_is_nothing_to_connect_to()
    {
        using var empty = new TempDirectory();

        Assert.Null(await ControlClient.TryConnectAsync(empty.Path, CancellationToken.None));
    }

    private async Task<ControlClient> Connect() =>
        await ControlClient.TryConnectAsync(_state.Path, CancellationToken.None) ?? throw new InvalidOperationException("The control socket does not answer.");

    private async Task<Socket> RawConnect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(ControlSocketProtocol.PathIn(_state.Path)));
        return socket;
    }

    private async Task AssertStillServes()
    {
        using var client = await Connect();
        Assert.Equal(Environment.ProcessId, (await client.StatusAsync(CancellationToken.None)).ProcessId);
    }

    /// <summary>Sends <paramref name="request"/>, reads one answer, and whether the agent then closed the connection.</summary>
    private static async Task<(ControlAnswer Answer, bool Closed)> Exchange(Socket socket, byte[] request)
    {
        try
        {
            await socket.SendAsync(request);
        }
        catch (SocketException)
        {
            // The agent may close before it has read all of a request too long; its answer is still there to read.
        }
        var answer = (await ReadLines(socket, 1))[0];
        var rest = new byte[1];
        int read;
        try
        {
            read = await socket.ReceiveAsync(rest).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (SocketException)
        {
            read = 0;
        }
        return (answer, read == 0);
    }

    private static async Task<List<ControlAnswer>> ReadLines(Socket socket, int count)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = new StreamReader(stream);
        var answers = new List<ControlAnswer>();
        for (var i = 0; i < count; i++)
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("The connection closed early.");
            answers.Add(JsonSerializer.Deserialize<ControlAnswer>(line, ControlSocketProtocol.Json)!);
        }
        return answers;
    }
}

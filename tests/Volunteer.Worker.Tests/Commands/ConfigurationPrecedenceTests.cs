using System.Net.Sockets;
using System.Text;
using Volunteer.Worker.Commands;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Xunit.Abstractions;

namespace Volunteer.Worker.Tests.Commands;

/// <summary>Tests that change the process's environment or measure its heap, run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Changes the process's environment or measures its heap";
}

[Collection(ProcessWideCollection.Name)]
public sealed class ConfigurationPrecedenceTests(ITestOutputHelper output) : IDisposable
{
    private const string Variable = "Worker__CpuPercent";

    private readonly TempDirectory _state = new();

    [Fact]
    public void Defaults_then_the_settings_file_then_the_environment_then_the_command_line()
    {
        Assert.Equal(100, CpuPercent());

        File.WriteAllText(Path.Combine(_state.Path, "settings.json"), """{"Worker": {"CpuPercent": 30}}""");
        Assert.Equal(30, CpuPercent());

        Environment.SetEnvironmentVariable(Variable, "50");
        Assert.Equal(50, CpuPercent());

        Assert.Equal(70, CpuPercent("--cpu-percent", "70"));
    }

    [Fact]
    public async Task Ten_thousand_requests_good_and_hostile_on_the_control_socket_leave_the_heap_flat()
    {
        await using var agent = await new GovernedAgent(_state.Path).ListenAsync();
        // The runtime's own caches (sockets, JSON, thread pool) settle within the first thousand or so: measured after.
        await Ask(agent, 2_000);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Each on a connection of its own: status, pause, resume, then a request that is not JSON, one naming no
        // command, and one far over the 4 KiB a request may take, again and again.
        await Ask(agent, 10_000);
        var elapsed = clock.Elapsed;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"10,000 requests, each on its own connection, in {elapsed.TotalMilliseconds:0} ms; managed heap {before / 1024.0 / 1024:0.00} -> {after / 1024.0 / 1024:0.00} MiB");

        // Each answer is about a kilobyte: ten thousand kept would be ten megabytes, and anything kept per request more
        // than a hundred bytes; the bound leaves room for the runtime's own caches (0.2 to 0.4 MiB seen here).
        Assert.True(after - before < 1024 * 1024, $"The heap grew from {before} to {after} bytes over 10,000 requests.");
        Assert.Empty(agent.Governor.PausedBecause);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Variable, null);
        _state.Dispose();
    }

    private int CpuPercent(params string[] args) =>
        ComputeLimits.From(new CommandLine(TextWriter.Null, TextWriter.Null).ConfigurationOf(["run", "--state-dir", _state.Path, .. args])).CpuPercent;

    /// <summary>
    /// Status, pause and resume as the commands ask, and three hostile requests, each refused with an error answer and the
    /// connection closed; each on a connection of its own.
    /// </summary>
    private static async Task Ask(GovernedAgent agent, int requests)
    {
        byte[][] hostile =
        [
            Encoding.UTF8.GetBytes("not json at all\n"),
            Encoding.UTF8.GetBytes("""{"command":"shutdown"}""" + "\n"),
            Encoding.UTF8.GetBytes($$"""{"command":"status","padding":"{{new string('x', 64 * 1024)}}"}""" + "\n"),
        ];
        for (var i = 0; i < requests; i++)
        {
            if (i % 6 >= 3)
            {
                await RefusedAsync(agent, hostile[i % 6 - 3]);
                continue;
            }
            using var client = await ControlClient.TryConnectAsync(agent.StateDirectory, CancellationToken.None) ?? throw new InvalidOperationException("No answer.");
            switch (i % 6)
            {
                case 0:
                    await client.StatusAsync(CancellationToken.None);
                    break;
                case 1:
                    await client.PauseAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
                    break;
                default:
                    await client.ResumeAsync(CancellationToken.None);
                    break;
            }
        }
    }

    /// <summary>Sends a hostile request on a raw connection; the agent answers with an error and closes it.</summary>
    private static async Task RefusedAsync(GovernedAgent agent, byte[] request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(ControlSocketProtocol.PathIn(agent.StateDirectory)));
        try
        {
            await socket.SendAsync(request, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The agent may close the connection as soon as the first 4 KiB of an oversized request have come.
        }
        var answer = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                answer.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset && request.Length > 4096)
        {
            // Closed with the rest of an oversized request unread: the system resets the connection, and the error
            // answer written before may be dropped with it. The connection is closed all the same.
            return;
        }
        Assert.Contains("malformed request", Encoding.UTF8.GetString([.. answer]), StringComparison.Ordinal);
    }
}

using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Volunteer.Worker.Control;

/// <summary>
/// The running agent's control socket: a Unix domain socket, agent.sock in the state directory, that only its owner
/// may open. Each line a client sends is one request (<see cref="ControlRequest"/>), answered with one line
/// (<see cref="ControlAnswer"/>). A request that is not JSON, names no known command or runs past
/// <see cref="ControlSocketProtocol.MaxRequestBytes"/> gets an error answer and the connection is closed.
/// </summary>
public sealed class ControlSocket(IAgentControl control, string stateDirectory, ILogger<ControlSocket> logger) : BackgroundService
{
    /// <summary>Clients served at once; more wait in the listen backlog.</summary>
    private const int MaxClients = 16;

    /// <summary>Connections waiting to be served; a Unix socket refuses a connection at once when this is full.</summary>
    private const int Backlog = 256;

    /// <summary>How long a client may send nothing before its connection is closed, so no idle one holds a place.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly string _path = ControlSocketProtocol.PathIn(stateDirectory);

    private Socket? _listener;

    /// <summary>Binds the socket before the host goes on, so that agent.sock answers once the agent has started.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _listener = Listen();
            ControlSocketLog.Listening(logger, _path);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The agent computes all the same; only the owner's commands cannot reach it (they say so).
            ControlSocketLog.CouldNotListen(logger, ex, _path);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is not { } listener)
        {
            return;
        }
        using var clients = new SemaphoreSlim(MaxClients);
        var serving = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await clients.WaitAsync(stoppingToken);
                var client = await listener.AcceptAsync(stoppingToken);
                serving.RemoveAll(t => t.IsCompleted);
                serving.Add(ServeAsync(client, clients, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(serving);
        }
    }

    /// <summary>Stops answering and removes agent.sock (here, not in ExecuteAsync: a host stopped at once may never have run it).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_listener is not null)
        {
            _listener.Dispose();
            File.Delete(_path);
        }
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Binds the socket where only this user can reach it. On Unix it is bound inside a folder only the owner may
    /// enter, made owner-only (0600) and only then moved to agent.sock: no moment in which another user could connect.
    /// </summary>
    private Socket Listen()
    {
        // What a previous agent left when it was killed; the agent lock says no other agent runs on this directory.
        File.Delete(_path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                socket.Bind(new UnixDomainSocketEndPoint(_path));
            }
            else
            {
                var staging = Path.Combine(stateDirectory, ".sock");
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
                Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var staged = Path.Combine(staging, "a");
                socket.Bind(new UnixDomainSocketEndPoint(staged));
                File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(staged, _path);
                Directory.Delete(staging);
            }
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ServeAsync(Socket client, SemaphoreSlim clients, CancellationToken stoppingToken)
    {
        try
        {
            using (client)
            await using (var stream = new NetworkStream(client, ownsSocket: false))
            {
                await ServeRequestsAsync(stream, stoppingToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (ex is not OperationCanceledException)
            {
                ControlSocketLog.ClientFailed(logger, ex);
            }
        }
        finally
        {
            clients.Release();
        }
    }

    /// <summary>Answers each line the client sends until it closes, goes idle, or sends what is not a request.</summary>
    private async Task ServeRequestsAsync(NetworkStream stream, CancellationToken stoppingToken)
    {
        // One byte more than the longest request: a full buffer with no newline in it is a request too long.
        var buffer = new byte[ControlSocketProtocol.MaxRequestBytes + 1];
        var filled = 0;
        while (true)
        {
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', 0, filled)) < 0)
            {
                if (filled == buffer.Length)
                {
                    var (tooLong, _) = Malformed($"a request is one line of at most {ControlSocketProtocol.MaxRequestBytes} bytes");
                    await stream.WriteAsync(ControlSocketProtocol.Line(tooLong), stoppingToken);
                    return;
                }
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                idle.CancelAfter(IdleTimeout);
                var read = await stream.ReadAsync(buffer.AsMemory(filled), idle.Token);
                if (read == 0)
                {
                    return;
                }
                filled += read;
            }
            var (answer, malformed) = Answer(buffer.AsSpan(0, newline));
            await stream.WriteAsync(ControlSocketProtocol.Line(answer), stoppingToken);
            if (malformed)
            {
                return;
            }
            filled -= newline + 1;
            Array.Copy(buffer, newline + 1, buffer, 0, filled);
        }
    }

    /// <summary>
    /// The answer to one request line, and whether the line was not a request at all (the connection is then closed).
    /// What the agent refuses (a reload of invalid settings) is an answer too, never a crash.
    /// </summary>
    private (ControlAnswer Answer, bool Malformed) Answer(ReadOnlySpan<byte> line)
    {
        ControlRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<ControlRequest>(line, ControlSocketProtocol.Json);
        }
        catch (JsonException ex)
        {
            return Malformed($"not a JSON request object ({ex.Message})");
        }
        if (request?.Command is null)
        {
            return Malformed("no command");
        }
        if (request.Duration is { } duration && duration <= TimeSpan.Zero)
        {
            return Malformed("a pause's duration must be positive");
        }
        return request.Command switch
        {
            ControlRequest.Status or ControlRequest.Pause or ControlRequest.Resume or ControlRequest.Reload => (Perform(request), false),
            _ => Malformed($"unknown command '{request.Command}' (status, pause, resume, reload)"),
        };
    }

    private (ControlAnswer, bool) Malformed(string reason)
    {
        ControlSocketLog.Refused(logger, reason);
        return (new ControlAnswer(false, "malformed request: " + reason), true);
    }

    private ControlAnswer Perform(ControlRequest request)
    {
        switch (request.Command)
        {
            case ControlRequest.Status:
                return new ControlAnswer(true, Snapshot: control.Snapshot());
            case ControlRequest.Pause:
                ControlSocketLog.Asked(logger, request.Duration is { } d ? $"pause for {d}" : "pause");
                control.Pause(request.Duration);
                return new ControlAnswer(true);
            case ControlRequest.Resume:
                ControlSocketLog.Asked(logger, "resume");
                control.Resume();
                return new ControlAnswer(true);
            case ControlRequest.Reload:
                ControlSocketLog.Asked(logger, "reload");
                try
                {
                    return new ControlAnswer(true, Limits: control.Reload());
                }
                catch (Exception ex) when (ex is OptionsValidationException or InvalidDataException or IOException)
                {
                    return new ControlAnswer(false, ex is OptionsValidationException invalid ? string.Join("; ", invalid.Failures) : ex.Message);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Command, "not a command");
        }
    }
}

/// <summary>Registers the control socket of the agent process.</summary>
public static class ControlSocketServices
{
    /// <summary>
    /// Adds the control socket as a hosted service answering for the <see cref="IAgentControl"/> registered in
    /// <paramref name="services"/>, on agent.sock in <paramref name="stateDirectory"/>.
    /// </summary>
    public static IServiceCollection AddControlSocket(this IServiceCollection services, string stateDirectory) =>
        services.AddHostedService(provider => new ControlSocket(
            provider.GetRequiredService<IAgentControl>(), stateDirectory, provider.GetRequiredService<ILogger<ControlSocket>>()));
}

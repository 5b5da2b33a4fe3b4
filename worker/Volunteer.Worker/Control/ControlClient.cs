using System.Net.Sockets;
using System.Text.Json;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Control;

/// <summary>The agent said no to a request, or answered with what is not an answer.</summary>
public sealed class ControlRefusedException(string message) : Exception(message);

/// <summary>
/// A connection to the running agent's control socket, as `status`, `pause`, `resume` and `set` use it: each
/// request is one line, each answer one line.
/// </summary>
public sealed class ControlClient : IDisposable
{
    /// <summary>How long the agent may take to answer; it answers from memory, so this is only a bound on a stuck one.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private ControlClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream);
    }

    /// <summary>Connects to the agent running on <paramref name="stateDirectory"/>; null when none listens there.</summary>
    public static async Task<ControlClient?> TryConnectAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        var path = ControlSocketProtocol.PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AnswerTimeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            return new ControlClient(socket);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // A socket file left by an agent that was killed: nothing listens on it.
            socket.Dispose();
            return null;
        }
    }

    public async Task<AgentSnapshot> StatusAsync(CancellationToken cancellationToken) =>
        (await AskAsync(new ControlRequest(ControlRequest.Status), cancellationToken)).Snapshot
        ?? throw new ControlRefusedException("The agent's status answer had no snapshot.");

    public Task PauseAsync(TimeSpan? duration, CancellationToken cancellationToken) =>
        AskAsync(new ControlRequest(ControlRequest.Pause, duration), cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => AskAsync(new ControlRequest(ControlRequest.Resume), cancellationToken);

    /// <summary>Has the agent read its settings again; returns the limits it now holds to.</summary>
    public async Task<ComputeLimits> ReloadAsync(CancellationToken cancellationToken) =>
        (await AskAsync(new ControlRequest(ControlRequest.Reload), cancellationToken)).Limits
        ?? throw new ControlRefusedException("The agent's reload answer had no limits.");

    /// <summary>Sends one request and reads its answer; throws <see cref="ControlRefusedException"/> when the agent refused it.</summary>
    public async Task<ControlAnswer> AskAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        await _stream.WriteAsync(ControlSocketProtocol.Line(request), timeout.Token);
        var line = await _reader.ReadLineAsync(timeout.Token)
            ?? throw new ControlRefusedException("The agent closed the control connection without answering.");
        ControlAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize<ControlAnswer>(line, ControlSocketProtocol.Json);
        }
        catch (JsonException ex)
        {
            throw new ControlRefusedException($"The agent's answer is not one: {ex.Message}");
        }
        return answer switch
        {
            null => throw new ControlRefusedException("The agent's answer is empty."),
            { Ok: false } => throw new ControlRefusedException(answer.Error ?? "The agent refused the request."),
            _ => answer,
        };
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}

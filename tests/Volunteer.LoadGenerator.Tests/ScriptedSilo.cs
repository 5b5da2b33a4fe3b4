using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.LoadGenerator.Tests;

/// <summary>A request as the scripted silo read it: where it came from, its head, and when it came.</summary>
public sealed record SeenRequest(IPAddress From, string Head, DateTimeOffset At);

/// <summary>
/// A stand-in for a silo's HTTP endpoint on a real loopback socket: reads one request per connection, records it, and
/// answers as <c>answer</c> says (a whole HTTP/1.1 answer, or null to hold the connection unanswered), then closes.
/// </summary>
public sealed class ScriptedSilo : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<SeenRequest, int, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<IPAddress, int> _countBySource = new();
    private readonly List<TcpClient> _held = [];
    private readonly Task _accepting;

    /// <param name="answer">The answer to a request, given the request and how many came before it from the same address.</param>
    public ScriptedSilo(Func<SeenRequest, int, string?> answer)
    {
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public int CountFrom(IPAddress source) => _countBySource.GetValueOrDefault(source);

    /// <summary>What the coordinator answers a sync that leases and cancels nothing.</summary>
    public static string EmptySync()
    {
        var body = JsonSerializer.Serialize(new SyncResponse(0, [], [], new SyncLimits(100, 16, 64, 4096, 1024)), ProtocolJson.Options);
        return Answer("200 OK", body);
    }

    public static string Answer(string status, string body, string extraHeaders = "") =>
        $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)}\r\n{extraHeaders}Connection: close\r\n\r\n{body}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!HasWholeRequest(received))
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                client.Dispose();
                return;
            }
            received.AddRange(buffer.AsSpan(0, read));
        }
        var from = ((IPEndPoint)client.Client.RemoteEndPoint!).Address;
        var seen = new SeenRequest(from, Encoding.ASCII.GetString([.. received]), DateTimeOffset.UtcNow);
        var before = _countBySource.AddOrUpdate(from, 1, (_, n) => n + 1) - 1;
        Requests.Enqueue(seen);
        if (_answer(seen, before) is not { } answer)
        {
            lock (_held)
            {
                _held.Add(client);
            }
            return;
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(answer), _stop.Token);
        client.Dispose();
    }

    private static bool HasWholeRequest(List<byte> received)
    {
        var text = Encoding.ASCII.GetString([.. received]);
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }
        var length = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } line
            ? int.Parse(line["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture)
            : 0;
        return received.Count >= headEnd + 4 + length;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_held)
        {
            _held.ForEach(c => c.Dispose());
        }
        _stop.Dispose();
    }
}

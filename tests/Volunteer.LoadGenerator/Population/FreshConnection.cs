using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Volunteer.LoadGenerator.Population;

/// <summary>An answer read off a connection that carried one request: its status, body and what its stages took.</summary>
/// <param name="RetryAfter">What a Retry-After header asked for, in seconds; null without one.</param>
public sealed record FreshAnswer(int Status, byte[] Body, double ConnectMilliseconds, double TotalMilliseconds, int? RetryAfter = null);

/// <summary>
/// One HTTP/1.1 request over a connection of its own, from a given source address, closed after the answer ("Connection:
/// close"), as a volunteer behind NAT syncs: nothing is pooled, so every sync pays the TCP handshake and the coordinator
/// accepts and closes one connection per sync. Written on a bare socket rather than HttpClient because 100,000 source
/// addresses on one machine need the address chosen per connection, and the generator's own CPU per request must stay
/// small beside the coordinator it measures.
/// </summary>
public static class FreshConnection
{
    public static async Task<FreshAnswer> SendAsync(
        IPEndPoint server, IPAddress source, string method, string pathAndQuery, string? bearer, ReadOnlyMemory<byte> json,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(server, cancellationToken);
        var connected = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var request = Request(server, method, pathAndQuery, bearer, json.Span);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken);

        // The coordinator closes the connection after its answer: read to the end, then take the answer apart.
        using var answer = new AnswerBuffer();
        int read;
        while ((read = await socket.ReceiveAsync(answer.Free(), SocketFlags.None, cancellationToken)) > 0)
        {
            answer.Received(read);
        }
        var (status, body, retryAfter) = Parse(answer.Bytes);
        return new FreshAnswer(status, body, connected, Stopwatch.GetElapsedTime(started).TotalMilliseconds, retryAfter);
    }

    /// <summary>
    /// The whole request, head and body in one buffer: sent in one write, as an HTTP client buffers a small request (two
    /// writes on a connection without Nagle's delay go out as two segments, and the coordinator then pays a read for each).
    /// </summary>
    public static byte[] Request(IPEndPoint server, string method, string pathAndQuery, string? bearer, ReadOnlySpan<byte> json)
    {
        var head = new StringBuilder(256)
            .Append(method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\nHost: ").Append(server).Append("\r\nConnection: close\r\n");
        if (bearer is not null)
        {
            head.Append("Authorization: Bearer ").Append(bearer).Append("\r\n");
        }
        if (method != "GET")
        {
            head.Append("Content-Type: application/json\r\nContent-Length: ").Append(json.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        head.Append("\r\n");
        var headText = head.ToString();
        var request = new byte[headText.Length + json.Length];
        var headLength = Encoding.ASCII.GetBytes(headText, request);
        json.CopyTo(request.AsSpan(headLength));
        return request;
    }

    /// <summary>The status, body (de-chunked if it came in chunks) and Retry-After seconds of a whole HTTP/1.1 answer.</summary>
    public static (int Status, byte[] Body, int? RetryAfter) Parse(ReadOnlySpan<byte> answer)
    {
        var headEnd = answer.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0 || answer.Length < 12 || !answer.StartsWith("HTTP/1."u8))
        {
            throw new InvalidDataException("Not a complete HTTP/1.1 answer.");
        }
        var status = int.Parse(Encoding.ASCII.GetString(answer.Slice(9, 3)), CultureInfo.InvariantCulture);
        var head = Encoding.ASCII.GetString(answer[..headEnd]);
        var body = answer[(headEnd + 4)..];
        int? retryAfter = null;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Retry-After:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line["Retry-After:".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                retryAfter = seconds;
            }
        }
        if (!head.Contains("\r\nTransfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return (status, body.ToArray(), retryAfter);
        }
        var output = new List<byte>(body.Length);
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                throw new InvalidDataException("A chunk without its size line.");
            }
            var sizeText = Encoding.ASCII.GetString(body[..lineEnd]).Split(';')[0].Trim();
            var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return (status, output.ToArray(), retryAfter);
            }
            output.AddRange(body.Slice(lineEnd + 2, size));
            body = body[(lineEnd + 2 + size + 2)..];
        }
    }
}

/// <summary>An answer as it arrives, in a pooled buffer that doubles as needed, up to a bound no sane answer reaches.</summary>
public sealed class AnswerBuffer : IDisposable
{
    private const int MaxAnswerBytes = 16 * 1024 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _length;

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>Where the next bytes go: never empty (the buffer grows when full).</summary>
    public Memory<byte> Free()
    {
        if (_length == _buffer.Length)
        {
            if (_buffer.Length >= MaxAnswerBytes)
            {
                throw new InvalidDataException($"An answer longer than {MaxAnswerBytes} bytes.");
            }
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        return _buffer.AsMemory(_length);
    }

    public void Received(int count) => _length += count;

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

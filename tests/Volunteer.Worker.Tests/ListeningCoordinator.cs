using System.Net;
using System.Text;
using Volunteer.Testing;

namespace Volunteer.Worker.Tests;

/// <summary>A request as it arrived at <see cref="ListeningCoordinator"/>, with the address its connection came from.</summary>
public sealed record ArrivedRequest(IPAddress From, string Method, string Path, string Body);

/// <summary>
/// A coordinator stand-in on a real loopback socket, for what only a real connection shows: the address the
/// agent connects from. Every request gets the same answer; each is kept as it arrived.
/// </summary>
public sealed class ListeningCoordinator : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpStatusCode _status;
    private readonly byte[] _answer;
    private readonly Lock _gate = new();
    private readonly List<ArrivedRequest> _arrived = [];
    private readonly Task _serving;

    public ListeningCoordinator(HttpStatusCode status, string json)
    {
        (_status, _answer) = (status, Encoding.UTF8.GetBytes(json));
        Url = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _serving = ServeAsync();
    }

    public Uri Url { get; }

    public IReadOnlyList<ArrivedRequest> Arrived
    {
        get
        {
            lock (_gate)
            {
                return [.. _arrived];
            }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        // The loop ends with the listener; whatever it threw then is the closing's, not the test's.
        _serving.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(10));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            lock (_gate)
            {
                _arrived.Add(new ArrivedRequest(context.Request.RemoteEndPoint.Address, context.Request.HttpMethod, context.Request.Url!.AbsolutePath, body));
            }
            context.Response.StatusCode = (int)_status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(_answer);
            context.Response.Close();
        }
    }
}

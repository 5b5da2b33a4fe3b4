using System.Collections.Concurrent;
using System.Diagnostics;

namespace Volunteer.LoadGenerator.Population;

/// <summary>
/// Runs a population's syncs on one thread of its own: a clock of when each volunteer's next sync is due, and epoll over
/// the connections under way (<see cref="LinuxSockets"/>). Each sync is a fresh connection from the volunteer's own
/// source address, as before, but the generator no longer pays a thread-pool hand-off for every step of every
/// connection, and what it saves is CPU the silo it measures can use (they share this machine's cores; on a real
/// population the volunteers' side runs on 100,000 other machines).
/// A sync's latency counts from the moment this loop began it (as it counted from the moment an asynchronous volunteer's
/// timer fired), so it includes the wait for a free connection, the connect, and any lag of this loop while it is under way.
/// </summary>
public sealed class SyncLoop : IDisposable
{
    private readonly ConcurrentQueue<(PopulationVolunteer Volunteer, long Due)> _starting = new();
    private readonly PriorityQueue<PopulationVolunteer, long> _due = new();
    private readonly Dictionary<int, Exchange> _open = [];
    private readonly TimeSpan _timeout;
    private readonly int _maxOpen;
    private readonly int _epoll;
    private readonly Thread _thread;
    private volatile bool _stopping;

    /// <summary>When the loop last found every connection taken (a Stopwatch timestamp).</summary>
    private long _lastFull = long.MinValue;

    /// <param name="timeout">A sync with no whole answer this long after it began is given up (as the agent's request timeout).</param>
    /// <param name="maxOpen">
    /// The most connections open at once: under overload, connects wait seconds in SYN retransmission, and 100,000
    /// volunteers retrying would pass the descriptors a process may hold. Far above what a healthy run holds (a few
    /// dozen); a sync that waits for a free one counts the wait in its latency.
    /// </param>
    public SyncLoop(TimeSpan timeout, int maxOpen)
    {
        LinuxSockets.EnsureSupported();
        (_timeout, _maxOpen) = (timeout, maxOpen);
        _epoll = LinuxSockets.CreateEpoll();
        _thread = new Thread(Run) { Name = "population syncs", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Adds a volunteer, its first sync due at <paramref name="due"/> (a Stopwatch timestamp). Any thread.</summary>
    public void Start(PopulationVolunteer volunteer, long due) => _starting.Enqueue((volunteer, due));

    /// <summary>Stops: syncs under way are dropped (closed unanswered), and no more begin.</summary>
    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        foreach (var exchange in _open.Values)
        {
            exchange.Dispose();
        }
        _open.Clear();
        LinuxSockets.Close(_epoll);
    }

    /// <summary>One sync under way: its socket, its request and how much of it went out, and its answer so far.</summary>
    /// <param name="connectingSince">When the connect began: the connect time counts from there, not from a wait for a free connection.</param>
    private sealed class Exchange(PopulationVolunteer volunteer, long began, long connectingSince, int socket, byte[] request, long deadline) : IDisposable
    {
        public PopulationVolunteer Volunteer => volunteer;
        public long BeganAt => began;
        public int Socket => socket;
        public byte[] Request => request;
        public long Deadline => deadline;
        public long ConnectingSince => connectingSince;
        public double ConnectMilliseconds { get; set; } = -1;
        public int Sent { get; set; }
        public AnswerBuffer Answer { get; } = new();

        public void Dispose()
        {
            LinuxSockets.Close(socket);
            Answer.Dispose();
        }
    }

    private void Run()
    {
        var events = new LinuxSockets.EpollEvent[256];
        var nextTimeoutSweep = 0L;
        while (!_stopping)
        {
            while (_starting.TryDequeue(out var starting))
            {
                _due.Enqueue(starting.Volunteer, starting.Due);
            }
            var now = Stopwatch.GetTimestamp();
            while (_open.Count < _maxOpen && _due.TryPeek(out var volunteer, out var due) && due <= now)
            {
                _due.Dequeue();
                // A sync that may have been held back by every connection being taken has waited since it was due, and that wait counts.
                Begin(volunteer, due <= _lastFull ? due : now);
            }
            if (_open.Count >= _maxOpen)
            {
                _lastFull = now;
            }
            if (now >= nextTimeoutSweep)
            {
                GiveUpOverdue(now);
                nextTimeoutSweep = now + Stopwatch.Frequency / 10;
            }
            // Wake for the next due sync (epoll counts whole milliseconds: rounded up, so never early), else every 100 ms.
            var wait = 100;
            if (_open.Count < _maxOpen && _due.TryPeek(out _, out var next))
            {
                wait = (int)Math.Clamp(Math.Ceiling((next - now) * 1000.0 / Stopwatch.Frequency), 0, wait);
            }
            var ready = LinuxSockets.Wait(_epoll, events, wait);
            for (var i = 0; i < ready; i++)
            {
                if (_open.TryGetValue((int)events[i].Data, out var exchange))
                {
                    Advance(exchange, events[i].Events);
                }
            }
        }
    }

    private void Begin(PopulationVolunteer volunteer, long began)
    {
        var request = volunteer.BeginSync();
        var connectingSince = Stopwatch.GetTimestamp();
        var socket = LinuxSockets.BeginConnect(_epoll, volunteer.Source, volunteer.Coordinator);
        if (socket < 0)
        {
            _due.Enqueue(volunteer, volunteer.Failed(LinuxSockets.ErrorName(-socket)));
            return;
        }
        _open[socket] = new Exchange(volunteer, began, connectingSince, socket, request, began + (long)(_timeout.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>Takes a connection as far as it can go now: connected, the request sent, the answer read to its end.</summary>
    private void Advance(Exchange exchange, uint ready)
    {
        if (exchange.ConnectMilliseconds < 0)
        {
            if (LinuxSockets.ConnectError(exchange.Socket) is var error and not 0)
            {
                Fail(exchange, LinuxSockets.ErrorName(error));
                return;
            }
            exchange.ConnectMilliseconds = Stopwatch.GetElapsedTime(exchange.ConnectingSince).TotalMilliseconds;
        }
        if (exchange.Sent < exchange.Request.Length)
        {
            while (exchange.Sent < exchange.Request.Length)
            {
                var sent = LinuxSockets.Send(exchange.Socket, exchange.Request.AsSpan(exchange.Sent));
                if (sent == -LinuxSockets.EAGAIN)
                {
                    return;
                }
                if (sent < 0)
                {
                    Fail(exchange, LinuxSockets.ErrorName(-sent));
                    return;
                }
                exchange.Sent += sent;
            }
            if (LinuxSockets.WatchForReading(_epoll, exchange.Socket) is var error and not 0)
            {
                Fail(exchange, LinuxSockets.ErrorName(error));
            }
            return;
        }
        if ((ready & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) == 0)
        {
            return;
        }
        try
        {
            while (true)
            {
                var read = LinuxSockets.Receive(exchange.Socket, exchange.Answer.Free().Span);
                if (read == -LinuxSockets.EAGAIN)
                {
                    return;
                }
                if (read < 0)
                {
                    Fail(exchange, LinuxSockets.ErrorName(-read));
                    return;
                }
                if (read == 0)
                {
                    break;
                }
                exchange.Answer.Received(read);
            }
            // The coordinator closed the connection after its answer: the answer is whole.
            var (status, body, retryAfter) = FreshConnection.Parse(exchange.Answer.Bytes);
            Close(exchange);
            var answer = new FreshAnswer(status, body, exchange.ConnectMilliseconds, Stopwatch.GetElapsedTime(exchange.BeganAt).TotalMilliseconds, retryAfter);
            _due.Enqueue(exchange.Volunteer, exchange.Volunteer.Synced(answer));
        }
        catch (InvalidDataException)
        {
            Fail(exchange, nameof(InvalidDataException));
        }
    }

    private void GiveUpOverdue(long now)
    {
        foreach (var exchange in _open.Values.Where(e => e.Deadline <= now).ToList())
        {
            Fail(exchange, "timeout");
        }
    }

    private void Fail(Exchange exchange, string kind)
    {
        Close(exchange);
        _due.Enqueue(exchange.Volunteer, exchange.Volunteer.Failed(kind));
    }

    private void Close(Exchange exchange)
    {
        _open.Remove(exchange.Socket);
        exchange.Dispose();
    }
}

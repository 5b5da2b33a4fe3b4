using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.LoadGenerator.Population;

/// <summary>What every volunteer of a population shares: where the coordinators are, what a sync asks for, and when to give up.</summary>
/// <param name="Coordinators">The silos' HTTP endpoints; volunteer n starts with n modulo their count and moves on to the next when one fails.</param>
/// <param name="UnitsPerSync">The units a volunteer keeps queued: each sync asks for what tops its queue up to this.</param>
/// <param name="SyncInterval">The mean time between a volunteer's syncs; each wait is jittered ±20%.</param>
/// <param name="FirstSyncsOver">The volunteers' first syncs come at random over this time (a herd: one interval, as after a
/// silo restart; longer, as at a launch that spreads over minutes).</param>
/// <param name="UnitTime">How long a volunteer takes over one unit (jittered ±50%); with a zero time, every unit a sync
/// leases is reported by the next.</param>
/// <param name="Connections">
/// Bounds the attach storm's connections open at once (the syncs have the same bound in <see cref="SyncLoop"/>): under
/// overload, connects wait seconds in SYN retransmission, and 100,000 volunteers retrying would pass the 20,000
/// descriptors a process may hold here (the runtime then fails with "Out of memory"). Far above what a healthy run holds
/// (a few dozen); the wait for a slot counts in the attach's latency.
/// </param>
public sealed record PopulationSettings(
    IReadOnlyList<IPEndPoint> Coordinators, int UnitsPerSync, int Cores, TimeSpan SyncInterval, TimeSpan UnitTime, TimeSpan RequestTimeout,
    TimeSpan FirstRetry, PopulationFigures Figures, SemaphoreSlim Connections, TimeSpan FirstSyncsOver);

/// <summary>
/// One volunteer host of a simulated population: an anonymous account and host key of its own (made by its attach, as
/// an agent's first start makes them), a source address of its own in 127.0.0.0/8, and a sync about once a
/// <see cref="PopulationSettings.SyncInterval"/> over a fresh connection that reports the units it finished since the
/// last (computed with the app's real computer, which costs nothing for checksum; the time a unit takes is simulated),
/// says which it still holds, and asks for what tops its queue up, as the agent does. A refused
/// connection, a timeout or a 5xx is retried as the agent retries: exponential backoff with jitter, from the next silo.
/// </summary>
public sealed class PopulationVolunteer(int index, IPAddress source, PopulationSettings settings)
{
    private static readonly string SyncPath = "/" + Routes.WorkerSync;
    private static readonly string AttachPath = "/" + Routes.Workers;

    private ECDsa? _key;
    private Guid _id;
    private string _token = "";
    private int _coordinator = index % settings.Coordinators.Count;
    private readonly List<(Assignment Assignment, long FinishesAt)> _queue = [];
    private bool _servedOnce;
    private bool _leasedBefore;

    /// <summary>The next backoff's base: the first retry's delay again after every success, doubled after every failure.</summary>
    private TimeSpan _retry = settings.FirstRetry;

    /// <summary>When the sync under way began, and how many of the queue's units it reports.</summary>
    private long _syncStarted;
    private int _reporting;

    /// <summary>What the last answer's Retry-After asked for: the next wait, instead of the backoff's, as the agent does.</summary>
    private int? _retryAfter;

    public bool Attached => _token.Length > 0;

    /// <summary>Attaches, retrying what a real agent would retry, until attached or cancelled; returns the answer that attached it.</summary>
    public async Task<FreshAnswer> AttachAsync(CancellationToken cancellationToken)
    {
        _key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new WorkerAttachRequest($"population-{index}", Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()), settings.Cores),
            ProtocolJson.Options);
        _retry = settings.FirstRetry;
        while (true)
        {
            var answer = await TryAsync("POST", AttachPath, null, body, "attach", cancellationToken);
            if (answer is { Status: 201 })
            {
                var attached = JsonSerializer.Deserialize<WorkerAttachResponse>(answer.Body, ProtocolJson.Options)!;
                (_id, _token) = (attached.WorkerId, attached.Token);
                // The first sync's failure backs off from the start, as it did when every sync loop began afresh.
                _retry = settings.FirstRetry;
                return answer;
            }
            if (answer is not null)
            {
                settings.Figures.Failed($"attach HTTP {answer.Status}");
                _retryAfter = answer.RetryAfter;
            }
            if (answer is { Status: >= 400 and < 500 and not 408 and not 429 })
            {
                throw new InvalidOperationException($"Volunteer {index}'s attach was refused: HTTP {answer.Status} {System.Text.Encoding.UTF8.GetString(answer.Body)}");
            }
            await Task.Delay(BackOff(), cancellationToken);
        }
    }

    /// <summary>When the first sync is due (a Stopwatch timestamp): at a random point of <see cref="PopulationSettings.FirstSyncsOver"/> from now.</summary>
    public long FirstSyncDue() => After(settings.FirstSyncsOver * Random.Shared.NextDouble());

    /// <summary>The silo the next request goes to.</summary>
    public IPEndPoint Coordinator => settings.Coordinators[_coordinator];

    public IPAddress Source => source;

    /// <summary>
    /// The next sync's request, whole: the units finished since the last (in the volunteer's own time: one after another,
    /// each taking about <see cref="PopulationSettings.UnitTime"/>) reported, the rest said in progress, and the queue
    /// topped up to <see cref="PopulationSettings.UnitsPerSync"/>. Its answer goes to <see cref="Synced"/>, or its
    /// failure to <see cref="Failed"/>.
    /// </summary>
    public byte[] BeginSync()
    {
        _syncStarted = Stopwatch.GetTimestamp();
        var finished = _queue.TakeWhile(q => q.FinishesAt <= _syncStarted).ToList();
        _reporting = finished.Count;
        // The built-in apps' computers finish at once (checksum costs nothing): the task is complete when returned.
        var reports = finished.Select(q => SimulatedHost.ComputeAsync(q.Assignment).GetAwaiter().GetResult()).ToList();
        var held = _queue.Skip(finished.Count).Select(q => q.Assignment.Ref).ToList();
        var request = new SyncRequest(reports, held, Math.Max(0, settings.UnitsPerSync - held.Count),
            reports.Count > 0 ? ReportSignature.Sign(_key!, _id, reports) : null);
        return FreshConnection.Request(Coordinator, "POST", SyncPath, _token, JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJson.Options));
    }

    /// <summary>Takes the sync's answer; returns when the next is due: an interval later (±20%) if it was served, after the backoff if it is to be retried.</summary>
    public long Synced(FreshAnswer answer)
    {
        Answered(answer);
        if (answer.Status is >= 500 or 408 or 429)
        {
            settings.Figures.Failed($"sync HTTP {answer.Status}");
            _retryAfter = answer.RetryAfter;
            return After(BackOff());
        }
        _retry = settings.FirstRetry;
        var next = After(settings.SyncInterval * (0.8 + 0.4 * Random.Shared.NextDouble()));
        if (answer.Status != 200)
        {
            // A refusal is final (its reports will never be taken): the agent drops them and carries on.
            settings.Figures.Failed($"sync HTTP {answer.Status}");
            _queue.RemoveRange(0, _reporting);
            return next;
        }
        if (!_servedOnce)
        {
            _servedOnce = true;
            settings.Figures.FirstServed();
        }
        var response = JsonSerializer.Deserialize<SyncResponse>(answer.Body, ProtocolJson.Options)!;
        settings.Figures.Served(answer, response.Accepted, response.Assignments.Count);
        _queue.RemoveRange(0, _reporting);
        var cancelled = response.Cancelled.ToHashSet();
        _queue.RemoveAll(q => cancelled.Contains(q.Assignment.Ref));
        var known = _queue.Select(q => q.Assignment.Ref).ToHashSet();
        var start = _queue.Count > 0 ? Math.Max(_syncStarted, _queue[^1].FinishesAt) : _syncStarted;
        if (!_leasedBefore && response.Assignments.Count > 0)
        {
            // A population in its steady state, not one that started computing in the same minute: the first unit is
            // taken as part done, so results come at the population's rate from the first interval on.
            _leasedBefore = true;
            start -= (long)(settings.UnitTime.TotalSeconds * Random.Shared.NextDouble() * Stopwatch.Frequency);
        }
        foreach (var assignment in response.Assignments.Where(a => !known.Contains(a.Ref)))
        {
            // Computed one after another, each taking the unit time jittered by ±50%.
            start += (long)(settings.UnitTime.TotalSeconds * (0.5 + Random.Shared.NextDouble()) * Stopwatch.Frequency);
            _queue.Add((assignment, start));
        }
        return next;
    }

    /// <summary>A sync that got no answer (counted, and the next silo chosen); returns when it is retried, after the backoff.</summary>
    public long Failed(string kind)
    {
        settings.Figures.Failed($"sync {kind}");
        NextCoordinator();
        return After(BackOff());
    }

    private static long After(TimeSpan wait) => Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One request to the current silo; null (counted, and the next silo chosen) when no answer came.</summary>
    private async Task<FreshAnswer?> TryAsync(string method, string path, string? bearer, byte[] body, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        var wanted = Stopwatch.GetTimestamp();
        var slot = false;
        try
        {
            await settings.Connections.WaitAsync(timeout.Token);
            slot = true;
            var answer = await FreshConnection.SendAsync(settings.Coordinators[_coordinator], source, method, path, bearer, body, timeout.Token);
            return Answered(answer with { TotalMilliseconds = Stopwatch.GetElapsedTime(wanted).TotalMilliseconds });
        }
        catch (SocketException ex)
        {
            settings.Figures.Failed($"{what} {ex.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            settings.Figures.Failed($"{what} timeout");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            settings.Figures.Failed($"{what} {ex.GetType().Name}");
        }
        finally
        {
            if (slot)
            {
                settings.Connections.Release();
            }
        }
        NextCoordinator();
        return null;
    }

    /// <summary>An answer, after which a volunteer whose silo failed (5xx) tries the next one.</summary>
    private FreshAnswer Answered(FreshAnswer answer)
    {
        if (answer.Status >= 500)
        {
            NextCoordinator();
        }
        return answer;
    }

    private void NextCoordinator() => _coordinator = (_coordinator + 1) % settings.Coordinators.Count;

    /// <summary>
    /// What to wait before the next try: what the coordinator's Retry-After asked for, else the retry delay with jitter;
    /// the retry delay doubles, up to the sync interval.
    /// </summary>
    private TimeSpan BackOff()
    {
        var wait = _retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : _retry * (0.5 + Random.Shared.NextDouble() / 2);
        _retryAfter = null;
        _retry = TimeSpan.FromTicks(Math.Min(_retry.Ticks * 2, settings.SyncInterval.Ticks));
        return wait;
    }
}

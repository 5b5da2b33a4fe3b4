using System.Text.Json;
using Volunteer.Apps.Wasm;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// The scheduling state of one running job: its open window of units with their replicas, the split
/// cursor, leases, quorum validation and assimilation. Pure logic over explicit time, so every rule
/// is testable without Orleans or a database; the job grain persists <see cref="TakeChanges"/>.
/// </summary>
public sealed class JobWorkbook
{
    private readonly IScienceApp _app;
    private readonly JsonElement _parameters;
    private readonly WorkbookLimits _limits;
    private readonly SortedDictionary<long, OpenUnit> _open = [];
    private readonly SortedSet<long> _unitsWithUnsentReplicas = [];
    private readonly Dictionary<Guid, SortedSet<(long Unit, int Replica)>> _leasesByWorker = [];
    private readonly Dictionary<Guid, int> _leaseCountByAccount = [];
    private readonly Dictionary<Guid, HostTally> _tallies = [];
    private readonly Dictionary<Guid, HostTally> _changedReliability = [];
    private readonly Dictionary<long, UnitRecord> _changedUnits = [];
    private readonly Dictionary<(long Unit, int Replica), ReplicaRecord> _changedReplicas = [];
    private readonly List<CreditEntryRecord> _credits = [];
    private readonly Random _random;

    /// <summary>
    /// Units accepted alone from each trusted host (adaptive replication), valid and credited but not yet folded into
    /// the job's result: they wait in the open window, outside its bound, until a replicated unit shows the host
    /// agreeing with another (then they are assimilated) or disagreeing (then they go back to be replicated).
    /// </summary>
    private readonly Dictionary<Guid, SortedSet<long>> _awaitingCheck = [];

    /// <summary>Hosts whose awaiting units had one of them sent back for a check because the job has no other units left to split.</summary>
    private readonly HashSet<Guid> _checkedAtTheEnd = [];
    private readonly HashSet<long> _speculated = [];

    /// <summary>
    /// Units accepted alone and sent back, with the replica that was: it is already counted valid in its host's record,
    /// so not again. A unit sent back keeps its quorum of 2, so it is sent back once at most.
    /// </summary>
    private readonly Dictionary<long, int> _reopened = [];
    private readonly Dictionary<long, DateTimeOffset> _keptFromSlowHosts = [];

    /// <summary>
    /// Units valid and credited whose canonical payload stayed at the edge (above the inline limit), by the payload's
    /// digest (identical results share one): they are folded into the job's result once it arrives
    /// (<see cref="DeliverPayload"/>). They stay in the open window, within its bound, so that a job whose payloads are
    /// slow to come splits no further than its window.
    /// </summary>
    private readonly Dictionary<string, SortedSet<long>> _awaitingPayload = new(StringComparer.Ordinal);

    /// <summary>Payloads wanted since <see cref="TakePayloadsNewlyWanted"/> last ran: a new digest, or one more unit (and holders) for one.</summary>
    private readonly HashSet<string> _payloadsNewlyWanted = new(StringComparer.Ordinal);
    private readonly List<JobBlobRecord> _jobBlobs = [];

    /// <summary>
    /// Payloads that came inline and were folded into the result of an app with a result file, by digest: the file is
    /// built from the blob store, so they are kept there too (<see cref="TakePayloadsToKeep"/>), as pulled ones are.
    /// </summary>
    private readonly Dictionary<string, byte[]> _payloadsToKeep = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, double> _usualTurnaround = [];
    private readonly CostSamples _cost = new();
    private readonly Queue<(DateTimeOffset At, long Settled)> _progress = [];
    private IEnumerator<UnitInput>? _split;
    private string? _folded;
    private DateTimeOffset _reliabilityAsOf;
    private int _awaitingCount;
    private bool _awaitingChanged;
    private double? _medianTurnaround;
    private bool _jobChanged;

    /// <param name="parameters">The job's parameters, parsed once by the caller (they are also in <paramref name="job"/> as text).</param>
    public JobWorkbook(
        JobRecord job,
        JsonElement parameters,
        IScienceApp app,
        IEnumerable<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)> openUnits,
        WorkbookLimits limits,
        Random? random = null)
    {
        Job = job;
        _app = app;
        _parameters = parameters;
        _limits = limits;
        _random = random ?? Random.Shared;
        foreach (var (unit, replicas) in openUnits)
        {
            var open = new OpenUnit(unit, [.. replicas.OrderBy(r => r.Replica)]);
            _open.Add(unit.UnitIndex, open);
            open.Replicas.ForEach(Index);
            if (open.Replicas.Any(r => r.State == ReplicaState.Unsent))
            {
                _unitsWithUnsentReplicas.Add(unit.UnitIndex);
            }
            // A unit stored valid but not assimilated was accepted alone and still waits for a check of its host, or
            // agreed on by a quorum and waits for its payload from the edge. One accepted alone whose check had passed
            // and which waited for its payload is not told apart: it waits for another check, which costs a replica at most.
            if (unit is { State: UnitState.Valid, CanonicalReplica: { } canonical } && open.Replicas[canonical].WorkerId is { } worker)
            {
                if (QuorumOf(open) == 1)
                {
                    AwaitCheck(worker, unit.UnitIndex);
                }
                else
                {
                    AwaitPayload(open);
                }
            }
        }
    }

    /// <summary>Whether trusted hosts may compute this job's units alone: only a job of quorum 2 that allows it.</summary>
    private bool Adaptive => Job.Adaptive && Job.Redundancy.MinQuorum == 2;

    public JobRecord Job { get; private set; }

    /// <summary>
    /// Leases up to <paramref name="count"/> replicas to <paramref name="host"/>. When the host says which
    /// of this job's replicas it holds (<paramref name="held"/>), leases it lost (say, the answer that carried
    /// them never arrived) are sent again first, as BOINC resends lost results, instead of idling until their
    /// deadline. New replicas follow the placement rules (<see cref="MayPlace"/>), each picked at random among
    /// the oldest units waiting, so that which unit a host gets cannot be steered by the order of requests.
    /// </summary>
    /// <param name="mayHold">Replicas of this job the host may hold in all, resent ones included (its in-progress cap).</param>
    /// <param name="mayIssue">New replicas the host may be issued (what is left of its daily quota); resends are not new.</param>
    public LeaseOutcome Lease(
        VolunteerHost host,
        int count,
        DateTimeOffset now,
        IReadOnlyCollection<ReplicaRef>? held = null,
        int mayHold = int.MaxValue,
        int mayIssue = int.MaxValue)
    {
        var leases = new List<ReplicaLease>();
        if (Job.State != JobState.Running || count <= 0)
        {
            return new LeaseOutcome(leases, 0);
        }
        if (held is not null && _leasesByWorker.TryGetValue(host.WorkerId, out var workerLeases))
        {
            foreach (var (unitIndex, replica) in workerLeases.Where(l => !held.Contains(new ReplicaRef(Job.Id, l.Unit, l.Replica))).Take(count))
            {
                var unit = _open[unitIndex];
                if (unit.Replicas[replica].Deadline > now)
                {
                    leases.Add(LeaseOf(unit, unit.Replicas[replica]));
                }
            }
        }
        // A host caught returning an invalid result here is not trusted again until its grain has heard of it.
        var trusted = host.Trusted && !(_tallies.TryGetValue(host.WorkerId, out var untold) && untold.Invalid > 0);
        var slowInTheTail = InTail && IsSlow(host);
        var accountMayHold = _limits.MaxInProgressPerAccount - _leaseCountByAccount.GetValueOrDefault(host.AccountId);
        var wanted = Math.Min(Math.Min(count - leases.Count, mayIssue), Math.Min(mayHold - HoldingOf(host.WorkerId), accountMayHold));
        if (wanted <= 0)
        {
            return new LeaseOutcome(leases, 0);
        }
        // Pick first, assign after: assigning changes the set being walked. The pool is the oldest units the
        // host may get, with room to choose: PlacementPoolSize - 1 more than it wants.
        var poolSize = wanted + _limits.PlacementPoolSize - 1;
        var pool = new List<OpenUnit>(poolSize);
        foreach (var unitIndex in _unitsWithUnsentReplicas)
        {
            if (pool.Count == poolSize)
            {
                break;
            }
            if (MayPlace(_open[unitIndex], host) && !(slowInTheTail && KeptFromSlowHosts(unitIndex, now)))
            {
                pool.Add(_open[unitIndex]);
            }
        }
        // Split more units out only to keep the pool full: a pool of one would tell two hosts asking back to
        // back that they will get the sibling replicas of the same unit. Units awaiting a check of their host are
        // outside the window's bound: they hold nothing but a result.
        while (pool.Count < poolSize && _open.Count - _awaitingCount < _limits.MaxOpenUnits && Job.UnitsOpened < Job.UnitCount)
        {
            pool.Add(OpenNextUnit());
        }
        for (var i = 0; i < wanted && i < pool.Count; i++)
        {
            // A pool of exactly what is wanted is still shuffled unless the setting asks for oldest first, in order.
            var pick = _limits.PlacementPoolSize > 1 ? _random.Next(i, pool.Count) : i;
            (pool[i], pool[pick]) = (pool[pick], pool[i]);
            leases.Add(Assign(pool[i], host, trusted, now));
        }
        if (HoldingOf(host.WorkerId) > 0 && host.UsualTurnaroundSeconds is { } usual)
        {
            _usualTurnaround[host.WorkerId] = usual;
        }
        CheckAwaitingAtTheEnd(now);
        return new LeaseOutcome(leases, Math.Min(wanted, pool.Count));
    }

    /// <summary>
    /// Whether the job is in its last units (<see cref="WorkbookLimits.TailShare"/>), where hosts with the best
    /// turnaround are preferred and late replicas get speculative siblings.
    /// </summary>
    private bool InTail => Job.UnitCount - Job.UnitsAssimilated - Job.UnitsFailed <= Math.Ceiling(_limits.TailShare * Job.UnitCount);

    /// <summary>Slower than the usual host holding this job's replicas, or not known yet.</summary>
    private bool IsSlow(VolunteerHost host) =>
        _medianTurnaround is { } median && (host.UsualTurnaroundSeconds is not { } usual || usual > median);

    /// <summary>
    /// In the tail a slow host is not offered a unit until the unit has waited a usual turnaround for a faster host
    /// (so that the last units are never left waiting for fast hosts that do not come).
    /// </summary>
    private bool KeptFromSlowHosts(long unitIndex, DateTimeOffset now)
    {
        var since = _keptFromSlowHosts.TryAdd(unitIndex, now) ? now : _keptFromSlowHosts[unitIndex];
        return (now - since).TotalSeconds < _medianTurnaround;
    }

    /// <summary>The replicas of this job leased to the worker and not yet reported, timed out or cancelled.</summary>
    public int HoldingOf(Guid workerId) => _leasesByWorker.TryGetValue(workerId, out var leases) ? leases.Count : 0;

    /// <summary>
    /// How each host's replicas were judged since the last call, for the hosts' quotas; a host whose leases
    /// ended in any other way (cancelled, say) is listed too, with nothing judged, so it learns what it holds.
    /// </summary>
    public IReadOnlyDictionary<Guid, HostTally> TakeTallies()
    {
        var tallies = new Dictionary<Guid, HostTally>(_tallies);
        _tallies.Clear();
        return tallies;
    }

    /// <summary>Judges a report against the open window; <c>null</c> when its unit is not open here.</summary>
    public ReportVerdict? Judge(Guid workerId, ReplicaRef replica, DateTimeOffset now)
    {
        if (replica.JobId != Job.Id || !_open.TryGetValue(replica.UnitIndex, out var unit))
        {
            return null;
        }
        return ReportVerdicts.Judge(unit.Find(replica.Replica), workerId, now);
    }

    /// <summary>
    /// Judges a result against the open window, and what it says against the app: a registered WebAssembly app's unit
    /// burns at most its limit's fuel, so a report of more is refused. <c>null</c> when its unit is not open here.
    /// </summary>
    public ReportVerdict? Judge(Guid workerId, ReplicaResult result, DateTimeOffset now)
    {
        var verdict = Judge(workerId, result.Replica, now);
        return verdict == ReportVerdict.Accept && result.Fuel > FuelLimit ? ReportVerdict.FuelAboveLimit : verdict;
    }

    /// <summary>The most fuel a unit of the app may burn: a registered app's limit; built-in apps burn none, and any told is ignored.</summary>
    private long FuelLimit => (_app as WasmScienceApp)?.Version.Limits.FuelPerUnit ?? long.MaxValue;

    /// <summary>Records an accepted result, then validates and, on quorum, assimilates its unit.</summary>
    /// <param name="cores">The reporting host's cores, to measure what a unit costs across the population.</param>
    /// <param name="held">
    /// The replicas of this job the host held when its sync came, the result's included (they shared its cores); by
    /// default what it holds now.
    /// </param>
    public void Apply(ReplicaResult result, DateTimeOffset now, int cores = 1, int? held = null)
    {
        if (result is { Outcome: ReportOutcome.Success, Payload: null, Size: > 0 } && !ComparesDigestsAlone)
        {
            // An app whose comparator reads payloads cannot compare one it has not got: for it, a result too large to
            // travel inline is an error of the unit (as an output too large is in BOINC), not a lie of the host.
            result = result with
            {
                Outcome = ReportOutcome.Error, Digest = null, Size = 0,
                Error = $"The result ({result.Size} bytes) is above the inline limit, and app {_app.Name} compares results by their payloads.",
            };
        }
        var unit = _open[result.Replica.UnitIndex];
        var replica = unit.Find(result.Replica.Replica)!;
        var turnaround = now - replica.IssuedAt!.Value;
        _reliabilityAsOf = now;
        Tally(replica.WorkerId, HostTally.Reported(turnaround));
        if (result.Outcome == ReportOutcome.Success)
        {
            // The host's cores were shared among the replicas it held: each took a share of them for its turnaround.
            _cost.Add(replica.WorkerId!.Value, turnaround.TotalSeconds * cores / Math.Max(1, held ?? HoldingOf(replica.WorkerId.Value)));
        }
        // A result the app can tell is wrong on its own is invalid at once: it never takes part in a quorum. One whose
        // payload stayed at the edge is judged when its payload arrives, if it becomes canonical.
        var implausible = result is { Outcome: ReportOutcome.Success, Payload: { } payload }
            ? _app.Validator.Check(new UnitInput(unit.Record.UnitIndex, unit.Record.Input), payload)
            : null;
        SetReplica(unit, replica with
        {
            State = implausible is null ? ReplicaState.Reported : ReplicaState.Invalid,
            ReportedAt = now,
            Outcome = result.Outcome,
            Digest = result.Digest,
            Size = result.Size,
            Payload = result.Payload,
            Error = implausible ?? result.Error,
            Fuel = result.Fuel,
        });
        if (implausible is not null)
        {
            CountInvalid(replica.WorkerId, now);
        }
        else if (result.Outcome == ReportOutcome.Error)
        {
            Tally(replica.WorkerId, HostTally.OneError);
        }
        Reconcile(unit, now);
        CheckAwaitingAtTheEnd(now);
    }

    /// <summary>
    /// A host was caught returning a wrong result (in this job or another of the same app) or flagged: its results
    /// accepted alone go back to be replicated, their credit taken back until they validate, and its units out alone
    /// get a second replica.
    /// </summary>
    public void Distrust(Guid workerId, DateTimeOffset now)
    {
        _reliabilityAsOf = now;
        EndCheckOver(workerId);
        if (_awaitingCheck.Remove(workerId, out var awaiting))
        {
            _awaitingChanged = true;
            foreach (var unitIndex in awaiting)
            {
                _awaitingCount--;
                Reopen(_open[unitIndex], now);
            }
        }
        if (_leasesByWorker.TryGetValue(workerId, out var leases))
        {
            foreach (var unit in leases.Select(l => _open[l.Unit]).Where(u => QuorumOf(u) == 1).ToList())
            {
                SetUnit(unit, unit.Record with { Quorum = Job.Redundancy.MinQuorum });
                Reconcile(unit, now);
            }
        }
    }

    /// <summary>What a unit costs in core-seconds, the median of the hosts' last results (<see cref="CostSamples"/>); null before any.</summary>
    public double? CostPerUnitSeconds => _cost.Median;

    /// <summary>
    /// When the job will be done at the pace of the last minutes (units settled per second); null until units settle.
    /// Sampled at each lease sweep.
    /// </summary>
    public DateTimeOffset? EstimateCompletion(DateTimeOffset now)
    {
        var remaining = Job.UnitCount - UnitsSettled;
        if (Job.State != JobState.Running || remaining == 0)
        {
            return null;
        }
        if (_progress.Count == 0)
        {
            return null;
        }
        var (since, settledThen) = _progress.Peek();
        var settled = UnitsSettled - settledThen;
        var seconds = (now - since).TotalSeconds;
        return settled <= 0 || seconds <= 0 ? null : now.AddSeconds(Math.Min(remaining * seconds / settled, TimeSpan.MaxValue.TotalSeconds / 2));
    }

    /// <summary>Voids every lease whose deadline has passed and sends out replacements.</summary>
    public int ExpireLeases(DateTimeOffset now)
    {
        Predicate<ReplicaRecord> isLate = replica => replica.State == ReplicaState.Assigned && replica.Deadline <= now;
        _reliabilityAsOf = now;
        // The sweep runs every few seconds over the whole open window: copy only the units it changes
        // (reconciling may close a unit, so they are picked before any is touched).
        var expired = 0;
        foreach (var unit in _open.Values.Where(u => u.Replicas.Exists(isLate)).ToList())
        {
            var late = unit.Replicas.FindAll(isLate);
            late.ForEach(replica =>
            {
                SetReplica(unit, replica with { State = ReplicaState.TimedOut });
                Tally(replica.WorkerId, HostTally.OneTimedOut);
            });
            expired += late.Count;
            Reconcile(unit, now);
        }
        SampleProgress(now);
        if (InTail)
        {
            // Only the tail reads the median, and it sorts a turnaround per host holding work (100,000 of them at a
            // SETI@home-sized population) in the job's grain, where no sync is served meanwhile.
            _medianTurnaround = Median(_usualTurnaround.Values);
            Speculate(now);
        }
        CheckAwaitingAtTheEnd(now);
        return expired;
    }

    /// <summary>
    /// In the tail, a replica out much longer than its host usually takes gets a speculative sibling (once per unit),
    /// which placement steers to a fast host; whichever quorum forms first wins and the late replica is cancelled.
    /// </summary>
    private void Speculate(DateTimeOffset now)
    {
        foreach (var unit in _open.Values.Where(u => u.Record.State == UnitState.InProgress && !_speculated.Contains(u.Record.UnitIndex)).ToList())
        {
            var late = unit.Replicas.Exists(r => r is { State: ReplicaState.Assigned, WorkerId: { } worker }
                && (_usualTurnaround.TryGetValue(worker, out var usual) ? usual : _medianTurnaround) is { } expected
                && (now - r.IssuedAt!.Value).TotalSeconds > _limits.SpeculationFactor * expected);
            if (late && !unit.Replicas.Exists(r => r.State == ReplicaState.Unsent) && unit.Replicas.Count < Job.Redundancy.MaxTotalResults)
            {
                _speculated.Add(unit.Record.UnitIndex);
                AddReplicas(unit, 1);
            }
        }
    }

    private void SampleProgress(DateTimeOffset now)
    {
        _progress.Enqueue((now, UnitsSettled));
        while (_progress.Count > 1 && now - _progress.Peek().At > ProgressWindow)
        {
            _progress.Dequeue();
        }
    }

    /// <summary>
    /// Units with their outcome: assimilated, failed, or accepted alone and waiting only for a check of their host (which
    /// costs a replica for a few of them, not one each).
    /// </summary>
    private long UnitsSettled => Job.UnitsAssimilated + Job.UnitsFailed + _awaitingCount;

    /// <summary>How far back the completion estimate looks.</summary>
    private static readonly TimeSpan ProgressWindow = TimeSpan.FromMinutes(5);

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? null : sorted[sorted.Count / 2];
    }

    /// <summary>Cancels a running job and every replica still out; false if the job had already ended.</summary>
    public bool Cancel(DateTimeOffset now)
    {
        if (Job.State != JobState.Running)
        {
            return false;
        }
        EndJob(JobState.Cancelled, null, now);
        return true;
    }

    /// <summary>True while <paramref name="replica"/> is leased to <paramref name="workerId"/> and still wanted.</summary>
    public bool IsLeasedTo(Guid workerId, ReplicaRef replica, DateTimeOffset now) =>
        Judge(workerId, replica, now) == ReportVerdict.Accept;

    public UnitCounts CountUnits()
    {
        long pending = 0, inProgress = 0, valid = 0;
        foreach (var unit in _open.Values)
        {
            switch (unit.Record.State)
            {
                case UnitState.Pending: pending++; break;
                case UnitState.InProgress: inProgress++; break;
                case UnitState.Valid: valid++; break;
            }
        }
        var notYetSplit = Job.UnitCount - Job.UnitsOpened;
        return new UnitCounts(pending + notYetSplit, inProgress, valid, Job.UnitsAssimilated, Job.UnitsFailed);
    }

    /// <summary>Everything changed since the last call, to be committed before anyone is told of it.</summary>
    public WorkBatch TakeChanges()
    {
        var batch = new WorkBatch();
        if (_jobChanged)
        {
            batch.Jobs.Add(Job);
        }
        batch.Units.AddRange(_changedUnits.Values);
        batch.Replicas.AddRange(_changedReplicas.Values);
        batch.Credits.AddRange(_credits);
        batch.JobBlobs.AddRange(_jobBlobs);
        foreach (var (worker, tally) in _changedReliability)
        {
            batch.Reliability.Add(new HostReliabilityRecord(worker, Job.App, tally, _reliabilityAsOf));
        }
        _jobChanged = false;
        _changedUnits.Clear();
        _changedReplicas.Clear();
        _credits.Clear();
        _jobBlobs.Clear();
        _changedReliability.Clear();
        return batch;
    }

    private OpenUnit OpenNextUnit()
    {
        _split ??= _app.Splitter.Split(_parameters, Job.UnitsOpened).GetEnumerator();
        if (!_split.MoveNext())
        {
            throw new InvalidOperationException($"App {_app.Name} split fewer units than the {Job.UnitCount} it planned.");
        }
        var input = _split.Current;
        var unit = new OpenUnit(new UnitRecord(Job.Id, input.Index, input.Json, UnitState.Pending, 0, null, Job.Redundancy.MinQuorum), []);
        _open.Add(input.Index, unit);
        SetJob(Job with { UnitsOpened = input.Index + 1 });
        // Under adaptive replication the siblings wait for the first host: a trusted one may compute the unit alone.
        AddReplicas(unit, Adaptive ? 1 : Job.Redundancy.TargetResults);
        return unit;
    }

    /// <summary>
    /// Whether a replica of the unit may go to the host: not if any replica of it was ever issued to the same
    /// host, the same account or (when networks are separated) the same network. BOINC's one result per host
    /// and per user per workunit, so no volunteer validates their own result, and a replica the host let time out
    /// counts too: otherwise a host that abandons its leases again and again could exhaust a unit's budget alone.
    /// </summary>
    private static bool MayPlace(OpenUnit unit, VolunteerHost host)
    {
        // A loop, not a predicate: placement asks this of every unit it walks past, and a closure each time was a
        // measurable share of what a lease allocates.
        foreach (var r in unit.Replicas)
        {
            if (r.WorkerId == host.WorkerId || r.AccountId == host.AccountId || (host.Network is not null && r.Network == host.Network))
            {
                return false;
            }
        }
        return true;
    }

    private ReplicaLease Assign(OpenUnit unit, VolunteerHost host, bool trusted, DateTimeOffset now)
    {
        var first = unit.Replicas.TrueForAll(r => r.State == ReplicaState.Unsent);
        var replica = unit.Replicas.First(r => r.State == ReplicaState.Unsent) with
        {
            State = ReplicaState.Assigned,
            WorkerId = host.WorkerId,
            AccountId = host.AccountId,
            Network = host.Network,
            IssuedAt = now,
            Deadline = now.AddSeconds(Job.DeadlineSeconds),
        };
        SetReplica(unit, replica);
        SetUnit(unit, unit.Record with { State = UnitState.InProgress });
        if (Adaptive && first)
        {
            // The draw is made here, after the host asked, so nothing it can see tells it whether it is checked.
            if (trusted && _random.NextDouble() >= _limits.SpotCheckShare)
            {
                SetUnit(unit, unit.Record with { Quorum = 1 });
            }
            else
            {
                AddReplicas(unit, Job.Redundancy.TargetResults - unit.Replicas.Count);
            }
        }
        else if (QuorumOf(unit) == 1 && !trusted)
        {
            // A unit out alone that now goes to an untrusted host too (a speculative or replacement replica) needs a quorum
            // again; should the replica it was alone with be late, that one may not hold the quorum up: it may be speculated on anew.
            SetUnit(unit, unit.Record with { Quorum = Job.Redundancy.MinQuorum });
            _speculated.Remove(unit.Record.UnitIndex);
            Reconcile(unit, now);
        }
        return LeaseOf(unit, replica);
    }

    /// <summary>The agreeing results the unit needs.</summary>
    private int QuorumOf(OpenUnit unit) => unit.Record.Quorum > 0 ? unit.Record.Quorum : Job.Redundancy.MinQuorum;

    private static ReplicaLease LeaseOf(OpenUnit unit, ReplicaRecord replica) =>
        new(replica.JobId, replica.UnitIndex, replica.Replica, unit.Record.Input, replica.Deadline!.Value);

    private void AddReplicas(OpenUnit unit, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var replica = new ReplicaRecord(Job.Id, unit.Record.UnitIndex, unit.Record.ReplicaCount, ReplicaState.Unsent,
                null, null, null, null, null, null, 0, null, null);
            unit.Replicas.Add(replica);
            SetReplica(unit, replica);
            SetUnit(unit, unit.Record with { ReplicaCount = unit.Record.ReplicaCount + 1 });
        }
    }

    private void Reconcile(OpenUnit unit, DateTimeOffset now)
    {
        switch (QuorumPolicy.Decide(Job.Redundancy with { MinQuorum = QuorumOf(unit) }, unit.Replicas, _app.Comparator))
        {
            case QuorumDecision.Valid valid when QuorumOf(unit) == 1 && Adaptive:
                AcceptAlone(unit, valid, now);
                break;
            case QuorumDecision.Valid valid:
                Assimilate(unit, valid, now);
                break;
            case QuorumDecision.IssueMore more:
                AddReplicas(unit, more.Count);
                SetUnit(unit, unit.Record with { State = UnitState.InProgress });
                break;
            case QuorumDecision.Fail fail:
                FailUnit(unit, fail.Reason, now);
                break;
        }
    }

    private void Validate(OpenUnit unit, QuorumDecision.Valid valid)
    {
        foreach (var replica in unit.Replicas.ToList())
        {
            var state = valid.Agreeing.Contains(replica.Replica) ? ReplicaState.Valid
                : valid.Dissenting.Contains(replica.Replica) ? ReplicaState.Invalid
                : replica.IsActive ? ReplicaState.Cancelled
                : replica.State;
            if (state != replica.State)
            {
                SetReplica(unit, replica with { State = state });
            }
        }
        SetUnit(unit, unit.Record with { State = UnitState.Valid, CanonicalReplica = valid.Canonical });
    }

    /// <summary>
    /// Folds the canonical result into the job's result, then validates the unit and credits every agreeing replica.
    /// The unit's Assimilated state, the new accumulated result and the credit leave in the same batch, so a unit is
    /// assimilated and credited exactly once. A result the reducer refuses was not valid after all, however many hosts
    /// agreed on it. Agreeing with another host is a passed check: the host's results accepted alone are confirmed.
    /// A canonical payload that stayed at the edge is not here to fold: the unit is validated and credited all the same
    /// (the hosts agreed on its digest), and waits for its payload (<see cref="DeliverPayload"/>).
    /// </summary>
    private void Assimilate(OpenUnit unit, QuorumDecision.Valid valid, DateTimeOffset now)
    {
        var payload = valid.Agreeing.Select(r => PayloadHere(unit.Replicas[r])).FirstOrDefault(p => p is not null);
        var folding = payload is null ? null : Fold(unit, payload);
        if (folding is { ReducerFailed: true })
        {
            // The job's own reducer cannot take it (a scientist's reducer module that traps, say): the unit fails, and
            // the hosts that agreed keep their standing.
            FailUnit(unit, folding.Reason, now);
            return;
        }
        if (folding is { Reason: var refusal })
        {
            // Agreeing hosts (colluding, or sharing one bug) cannot sink the unit: their results are invalid,
            // and fresh replicas go to other accounts until the unit's budget says otherwise.
            foreach (var replica in valid.Agreeing)
            {
                SetReplica(unit, unit.Replicas[replica] with { State = ReplicaState.Invalid, Error = refusal });
                CountInvalid(unit.Replicas[replica].WorkerId, now);
            }
            Reconcile(unit, now);
            return;
        }
        Validate(unit, valid);
        var countedBefore = _reopened.GetValueOrDefault(unit.Record.UnitIndex, -1);
        if (payload is null)
        {
            AwaitPayload(unit);
        }
        else
        {
            KeepFoldedPayload(payload);
            Settle(unit);
        }
        foreach (var replica in valid.Agreeing)
        {
            Grant(unit, unit.Replicas[replica], now);
            if (replica != countedBefore)
            {
                Tally(unit.Replicas[replica].WorkerId, HostTally.OneValid);
            }
        }
        foreach (var replica in valid.Dissenting)
        {
            CountInvalid(unit.Replicas[replica].WorkerId, now);
        }
        foreach (var replica in valid.Agreeing)
        {
            if (unit.Replicas[replica] is { WorkerId: { } worker, IssuedAt: { } issuedAt })
            {
                Confirm(worker, issuedAt, now);
            }
        }
        CompleteIfSettled(now);
    }

    /// <summary>
    /// A trusted host's result alone is valid and credited at once, but folded into the job's result only once a
    /// replicated unit shows the host agreeing with another (<see cref="Confirm"/>): until then it waits, so that a
    /// host caught later takes nothing wrong into the result.
    /// </summary>
    private void AcceptAlone(OpenUnit unit, QuorumDecision.Valid valid, DateTimeOffset now)
    {
        Validate(unit, valid);
        var canonical = unit.Replicas[valid.Canonical];
        Grant(unit, canonical, now);
        Tally(canonical.WorkerId, HostTally.OneValid);
        AwaitCheck(canonical.WorkerId!.Value, unit.Record.UnitIndex);
    }

    private void AwaitCheck(Guid workerId, long unitIndex)
    {
        if (!_awaitingCheck.TryGetValue(workerId, out var units))
        {
            _awaitingCheck[workerId] = units = [];
        }
        units.Add(unitIndex);
        _awaitingCount++;
        _awaitingChanged = true;
    }

    /// <summary>
    /// The host agreed with another on a replicated unit issued to it at <paramref name="checkedAt"/>: its results accepted
    /// alone that it was issued no later are assimilated. A host honest then may have turned since, so what it was issued
    /// after the check waits for a later one.
    /// </summary>
    private void Confirm(Guid workerId, DateTimeOffset checkedAt, DateTimeOffset now)
    {
        EndCheckOver(workerId);
        if (!_awaitingCheck.TryGetValue(workerId, out var awaiting))
        {
            return;
        }
        _awaitingChanged = true;
        foreach (var unitIndex in awaiting.Where(u => CanonicalOf(_open[u]).IssuedAt <= checkedAt).ToList())
        {
            var unit = _open[unitIndex];
            StopAwaiting(workerId, unitIndex);
            if (PayloadHere(CanonicalOf(unit)) is not { } payload)
            {
                // Confirmed, but its payload is still at the edge: it is folded (or refused) when it arrives.
                AwaitPayload(unit);
                continue;
            }
            var refusal = Fold(unit, payload);
            if (refusal is { ReducerFailed: true })
            {
                FailUnit(unit, refusal.Reason, now);
                continue;
            }
            if (refusal is not null)
            {
                // Proven wrong after all: its credit goes, and so does the trust in everything else the host sent alone.
                Reopen(unit, now, refusal.Reason);
                CountInvalid(workerId, now);
                return;
            }
            KeepFoldedPayload(payload);
            Settle(unit);
        }
    }

    /// <summary>
    /// The host's check at the end is over, however it went and even when nothing else of it waited (the checked result
    /// was its last one alone): whatever it sends alone from now on gets a check of its own.
    /// </summary>
    private void EndCheckOver(Guid workerId)
    {
        if (_checkedAtTheEnd.Remove(workerId))
        {
            _awaitingChanged = true;
        }
    }

    private void StopAwaiting(Guid workerId, long unitIndex)
    {
        var units = _awaitingCheck[workerId];
        units.Remove(unitIndex);
        _awaitingCount--;
        if (units.Count == 0)
        {
            _awaitingCheck.Remove(workerId);
        }
    }

    private static ReplicaRecord CanonicalOf(OpenUnit unit) => unit.Replicas[unit.Record.CanonicalReplica!.Value];

    /// <summary>
    /// Sends a unit accepted alone back to be replicated: its credit is taken back (granted again if it validates),
    /// and its result takes part in the new quorum, unless <paramref name="invalid"/> says why it cannot.
    /// </summary>
    private void Reopen(OpenUnit unit, DateTimeOffset now, string? invalid = null)
    {
        var canonical = CanonicalOf(unit);
        Revoke(unit, canonical, now);
        _reopened[unit.Record.UnitIndex] = canonical.Replica;
        SetReplica(unit, invalid is null
            ? canonical with { State = ReplicaState.Reported }
            : canonical with { State = ReplicaState.Invalid, Error = invalid });
        SetUnit(unit, unit.Record with { State = UnitState.InProgress, CanonicalReplica = null, Quorum = Job.Redundancy.MinQuorum });
        Reconcile(unit, now);
    }

    /// <summary>
    /// Once every unit is split, no host has more units coming in which to be checked: each host with results
    /// accepted alone has one of them, picked at random, replicated now. Its agreement confirms those issued before it
    /// (and the rest get another check, so a host that turned to lying is caught whatever the draw); a disagreement
    /// sends them all back.
    /// </summary>
    private void CheckAwaitingAtTheEnd(DateTimeOffset now)
    {
        if (!_awaitingChanged || Job.UnitsOpened < Job.UnitCount || Job.State != JobState.Running)
        {
            return;
        }
        _awaitingChanged = false;
        foreach (var (worker, units) in _awaitingCheck.Where(a => !_checkedAtTheEnd.Contains(a.Key)).ToList())
        {
            _checkedAtTheEnd.Add(worker);
            var unitIndex = units.ElementAt(_random.Next(units.Count));
            StopAwaiting(worker, unitIndex);
            Reopen(_open[unitIndex], now);
        }
    }

    /// <summary>
    /// The job's result with the unit's canonical payload folded in, kept for <see cref="Settle"/>; or why it was not:
    /// the payload is no result (the agreeing hosts were wrong), or the reducer itself failed (the unit fails).
    /// </summary>
    private FoldRefusal? Fold(OpenUnit unit, byte[] payload)
    {
        try
        {
            _folded = _app.Reducer.Fold(Job.Accumulated, new UnitInput(unit.Record.UnitIndex, unit.Record.Input), payload);
            return null;
        }
        catch (ReducerFailedException ex)
        {
            return new FoldRefusal($"The job's reducer could not fold its result: {ex.Message}", ReducerFailed: true);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or JsonException)
        {
            return new FoldRefusal($"The result could not be assimilated: {ex.Message}", ReducerFailed: false);
        }
    }

    private sealed record FoldRefusal(string Reason, bool ReducerFailed);

    /// <summary>
    /// A payload that came inline has been folded: when the app builds a result file from its units' payloads, the payload
    /// is kept with the job as a pulled one is (<see cref="JobBlobUse.Result"/>), and handed to the grain to store as a blob
    /// before the batch that names it commits. Each digest once: tiles of one flat color share a payload.
    /// </summary>
    private void KeepFoldedPayload(byte[] payload)
    {
        if (_app.ResultFile is null)
        {
            return;
        }
        var digest = ContentDigest.Of(payload);
        if (_payloadsToKeep.TryAdd(digest, payload))
        {
            _jobBlobs.Add(new JobBlobRecord(Job.Id, digest, JobBlobUse.Result));
        }
    }

    /// <summary>The inline payloads folded since the last call that the blob store must hold before <see cref="TakeChanges"/>' batch commits.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> TakePayloadsToKeep()
    {
        var payloads = _payloadsToKeep.ToList();
        _payloadsToKeep.Clear();
        return payloads;
    }

    /// <summary>The unit is assimilated: its fold (<see cref="Fold"/>) becomes the job's result, in the same batch.</summary>
    private void Settle(OpenUnit unit)
    {
        SetUnit(unit, unit.Record with { State = UnitState.Assimilated });
        Close(unit);
        SetJob(Job with { Accumulated = _folded!, UnitsAssimilated = Job.UnitsAssimilated + 1 });
        _folded = null;
    }

    /// <summary>
    /// Whether the app's comparator needs no more than digests and sizes (bitwise agreement), so that results whose payload
    /// stayed at the edge can take part in a quorum.
    /// </summary>
    private bool ComparesDigestsAlone => _app.Comparator is DigestComparator;

    /// <summary>
    /// A successful replica's payload if the coordinator has it: inline in the report, or empty for a result of 0 bytes
    /// (whatever the store makes of an empty payload); null when it stayed at the edge, with the host that computed it.
    /// </summary>
    private static byte[]? PayloadHere(ReplicaRecord replica) => replica.Payload ?? (replica.Size == 0 ? [] : null);

    private void AwaitPayload(OpenUnit unit)
    {
        var digest = CanonicalOf(unit).Digest!;
        if (!_awaitingPayload.TryGetValue(digest, out var units))
        {
            _awaitingPayload[digest] = units = [];
        }
        units.Add(unit.Record.UnitIndex);
        _payloadsNewlyWanted.Add(digest);
    }

    /// <summary>Whether units of the running job wait for the result payload <paramref name="digest"/>.</summary>
    public bool WantsPayload(string digest) => Job.State == JobState.Running && _awaitingPayload.ContainsKey(digest);

    /// <summary>The result payloads (by digest) that valid units wait for, to be pulled from the hosts that hold them.</summary>
    public IReadOnlyCollection<string> PayloadsWanted => Job.State == JobState.Running ? _awaitingPayload.Keys : [];

    /// <summary>
    /// The payloads wanted since the last call: digests newly wanted, or wanted by one more unit (whose hosts hold it
    /// too). Every payload wanted is in the first call's answer.
    /// </summary>
    public IReadOnlyList<string> TakePayloadsNewlyWanted()
    {
        var wanted = Job.State == JobState.Running ? _payloadsNewlyWanted.Where(_awaitingPayload.ContainsKey).ToList() : [];
        _payloadsNewlyWanted.Clear();
        return wanted;
    }

    /// <summary>
    /// The hosts whose agreeing results are the payload <paramref name="digest"/>: they hold it. For each unit that waits
    /// for it, the canonical replica's host first, then the others in replica order; each host once.
    /// </summary>
    public IReadOnlyList<Guid> HoldersOf(string digest)
    {
        if (!_awaitingPayload.TryGetValue(digest, out var units))
        {
            return [];
        }
        var holders = new List<Guid>();
        foreach (var unit in units.Select(u => _open[u]))
        {
            var canonical = CanonicalOf(unit);
            var agreeing = unit.Replicas.Where(r => r is { State: ReplicaState.Valid, WorkerId: not null } && r.Digest == digest)
                .OrderBy(r => r.Replica == canonical.Replica ? 0 : 1).ThenBy(r => r.Replica);
            holders.AddRange(agreeing.Select(r => r.WorkerId!.Value).Where(w => !holders.Contains(w)));
        }
        return holders;
    }

    /// <summary>
    /// The result payload <paramref name="digest"/> has arrived from the edge (its bytes verified against the digest by
    /// whoever stored them): each unit waiting for it is judged by the app, as a payload that came inline was on arrival,
    /// and folded into the job's result. One the app or its reducer refuses was not valid after all: its agreeing replicas
    /// are invalid, their credit taken back, and the unit goes back to be replicated, as a refusal by the reducer sends it.
    /// The payload is kept with the job (<see cref="JobBlobUse.Result"/>) when any unit folded it. Returns how many units
    /// waited for it: none when the job has ended, or another delivery came first.
    /// </summary>
    public int DeliverPayload(string digest, byte[] payload, DateTimeOffset now)
    {
        if (!WantsPayload(digest) || !_awaitingPayload.Remove(digest, out var units))
        {
            return 0;
        }
        _reliabilityAsOf = now;
        var folded = false;
        foreach (var unit in units.Select(u => _open[u]).ToList())
        {
            // A refusal may have failed the job (its last allowed unit): what is left waits with the job, unfolded.
            if (Job.State != JobState.Running)
            {
                break;
            }
            var refusal = _app.Validator.Check(new UnitInput(unit.Record.UnitIndex, unit.Record.Input), payload) is { } invalid
                ? new FoldRefusal(invalid, ReducerFailed: false)
                : Fold(unit, payload);
            if (refusal is null)
            {
                Settle(unit);
                folded = true;
            }
            else if (refusal.ReducerFailed)
            {
                FailUnit(unit, refusal.Reason, now);
            }
            else
            {
                Refute(unit, refusal.Reason, now);
            }
        }
        if (folded)
        {
            _jobBlobs.Add(new JobBlobRecord(Job.Id, digest, JobBlobUse.Result));
        }
        CompleteIfSettled(now);
        CheckAwaitingAtTheEnd(now);
        return units.Count;
    }

    /// <summary>
    /// No holder of <paramref name="digest"/> delivered it, round after round: the volunteers who computed it are gone for
    /// good. The units that waited for it fail, as a unit whose budget ran out does (the job goes on without them and lists
    /// them; the credit of the hosts that computed and agreed on them stays), rather than keep the job from ever ending.
    /// Returns how many units failed.
    /// </summary>
    public int GiveUpPayload(string digest, DateTimeOffset now)
    {
        if (!WantsPayload(digest) || !_awaitingPayload.Remove(digest, out var units))
        {
            return 0;
        }
        _reliabilityAsOf = now;
        foreach (var unit in units.Select(u => _open[u]).ToList())
        {
            // The last failure allowed may have failed the job: what is left goes with it.
            if (Job.State != JobState.Running)
            {
                break;
            }
            FailUnit(unit, $"no volunteer holding its result {digest} delivered it.", now);
        }
        CheckAwaitingAtTheEnd(now);
        return units.Count;
    }

    /// <summary>
    /// A valid unit's canonical payload, seen at last, is wrong: every replica that agreed on it is invalid and loses the
    /// credit it was granted, and the unit needs a quorum of fresh replicas (its dissenters, judged invalid against a
    /// quorum that was wrong, are not heard again: the fresh replicas decide).
    /// </summary>
    private void Refute(OpenUnit unit, string reason, DateTimeOffset now)
    {
        var agreeing = unit.Replicas.Where(r => r.State == ReplicaState.Valid).ToList();
        // They were granted when the last of them reported and made the quorum.
        var grantedAt = agreeing.Max(r => r.ReportedAt);
        // Every grant is taken back while all of them are still valid: a metered grant was computed from them all.
        foreach (var replica in agreeing)
        {
            Revoke(unit, replica, now, grantedAt);
        }
        foreach (var replica in agreeing)
        {
            SetReplica(unit, replica with { State = ReplicaState.Invalid, Error = reason });
            CountInvalid(replica.WorkerId, now);
        }
        SetUnit(unit, unit.Record with { State = UnitState.InProgress, CanonicalReplica = null, Quorum = Job.Redundancy.MinQuorum });
        Reconcile(unit, now);
    }

    private void Grant(OpenUnit unit, ReplicaRecord replica, DateTimeOffset now) => AddCredit(unit, replica, +1, now, now);

    /// <summary>
    /// Takes back a grant, as of when it was earned: <paramref name="grantedAt"/>, or by default the replica's report (a
    /// result accepted alone is granted as it arrives).
    /// </summary>
    private void Revoke(OpenUnit unit, ReplicaRecord replica, DateTimeOffset now, DateTimeOffset? grantedAt = null) =>
        AddCredit(unit, replica, -1, grantedAt ?? replica.ReportedAt ?? now, now);

    private void AddCredit(OpenUnit unit, ReplicaRecord replica, int sign, DateTimeOffset earnedAt, DateTimeOffset now)
    {
        // Replicas issued before hosts belonged to accounts have nobody to credit.
        if (replica is { AccountId: { } account, WorkerId: { } worker })
        {
            var amount = _app.Credit.CreditOfMetered(new UnitInput(unit.Record.UnitIndex, unit.Record.Input), AgreedFuel(unit));
            _credits.Add(new CreditEntryRecord(Guid.NewGuid(), account, worker, Job.Id, replica.UnitIndex, replica.Replica, sign * amount, earnedAt, now));
        }
    }

    /// <summary>
    /// The fuel a metered unit is credited for: the least any of its agreeing (valid) replicas reported, a report that
    /// told none counting as none, so no host raises it beyond what the others in its quorum report (and the report
    /// checks keep it within the app's limit). The same replicas are valid when a grant is taken back as when it was made,
    /// so a revocation takes back what was granted. Null for an app that is not metered.
    /// </summary>
    private long? AgreedFuel(OpenUnit unit)
    {
        if (_app is not WasmScienceApp)
        {
            return null;
        }
        long? least = null;
        foreach (var replica in unit.Replicas)
        {
            if (replica.State == ReplicaState.Valid)
            {
                least = Math.Min(least ?? long.MaxValue, replica.Fuel ?? 0);
            }
        }
        return least ?? 0;
    }

    private void CountInvalid(Guid? workerId, DateTimeOffset now)
    {
        Tally(workerId, HostTally.OneInvalid);
        if (workerId is { } worker)
        {
            Distrust(worker, now);
        }
    }

    private void Tally(Guid? workerId, HostTally tally)
    {
        if (workerId is { } worker)
        {
            _tallies[worker] = _tallies.TryGetValue(worker, out var sum) ? sum.Then(tally) : tally;
            if (tally != HostTally.None)
            {
                _changedReliability[worker] = _changedReliability.TryGetValue(worker, out var changed) ? changed.Then(tally) : tally;
            }
        }
    }

    /// <summary>Once every unit is assimilated or failed, the job is complete; its failed units are listed apart.</summary>
    private void CompleteIfSettled(DateTimeOffset now)
    {
        if (Job.UnitsAssimilated + Job.UnitsFailed == Job.UnitCount)
        {
            EndJob(JobState.Completed, null, now);
        }
    }

    private void FailUnit(OpenUnit unit, string reason, DateTimeOffset now)
    {
        // A unit that was checking a host at the end settles nothing about it: the host gets another check.
        foreach (var worker in unit.Replicas.Select(r => r.WorkerId).OfType<Guid>())
        {
            EndCheckOver(worker);
        }
        CancelActiveReplicas(unit);
        SetUnit(unit, unit.Record with { State = UnitState.Failed });
        Close(unit);
        SetJob(Job with { UnitsFailed = Job.UnitsFailed + 1 });
        // A unit's failure is the unit's: the job goes on without it and lists it, unless so many units
        // have failed that the result would be worth little.
        var allowed = MaxFailedUnits;
        if (Job.UnitsFailed > allowed)
        {
            EndJob(JobState.Failed,
                $"Unit {unit.Record.UnitIndex} failed: {reason} {Job.UnitsFailed} of {Job.UnitCount} units have failed; " +
                $"at most {allowed} ({_limits.MaxFailedUnitShare * 100:0.##}%) may.", now);
            return;
        }
        CompleteIfSettled(now);
    }

    /// <summary>How many units may fail before the job fails with them.</summary>
    private long MaxFailedUnits => (long)Math.Floor(_limits.MaxFailedUnitShare * Job.UnitCount);

    private void EndJob(JobState state, string? failureReason, DateTimeOffset now)
    {
        if (Job.State != JobState.Running)
        {
            return;
        }
        foreach (var unit in _open.Values)
        {
            CancelActiveReplicas(unit);
        }
        SetJob(Job with { State = state, FailureReason = failureReason, FinishedAt = now });
    }

    private void CancelActiveReplicas(OpenUnit unit)
    {
        foreach (var replica in unit.Replicas.Where(r => r.IsActive).ToList())
        {
            SetReplica(unit, replica with { State = ReplicaState.Cancelled });
        }
    }

    private void Close(OpenUnit unit)
    {
        _open.Remove(unit.Record.UnitIndex);
        _unitsWithUnsentReplicas.Remove(unit.Record.UnitIndex);
        _speculated.Remove(unit.Record.UnitIndex);
        _keptFromSlowHosts.Remove(unit.Record.UnitIndex);
        _reopened.Remove(unit.Record.UnitIndex);
    }

    private void SetJob(JobRecord job)
    {
        Job = job;
        _jobChanged = true;
    }

    private void SetUnit(OpenUnit unit, UnitRecord record)
    {
        unit.Record = record;
        _changedUnits[record.UnitIndex] = record;
    }

    private void SetReplica(OpenUnit unit, ReplicaRecord replica)
    {
        if (replica.Replica < unit.Replicas.Count)
        {
            Unindex(unit.Replicas[replica.Replica]);
        }
        Index(replica);
        unit.Replicas[replica.Replica] = replica;
        _changedReplicas[(replica.UnitIndex, replica.Replica)] = replica;
        if (unit.Replicas.Any(r => r.State == ReplicaState.Unsent))
        {
            _unitsWithUnsentReplicas.Add(replica.UnitIndex);
        }
        else
        {
            _unitsWithUnsentReplicas.Remove(replica.UnitIndex);
            _keptFromSlowHosts.Remove(replica.UnitIndex);
        }
    }

    private void Index(ReplicaRecord replica)
    {
        if (replica is { State: ReplicaState.Assigned, WorkerId: { } worker })
        {
            if (!_leasesByWorker.TryGetValue(worker, out var leases))
            {
                _leasesByWorker[worker] = leases = [];
            }
            leases.Add((replica.UnitIndex, replica.Replica));
            if (replica.AccountId is { } account)
            {
                _leaseCountByAccount[account] = _leaseCountByAccount.GetValueOrDefault(account) + 1;
            }
        }
    }

    private void Unindex(ReplicaRecord replica)
    {
        if (replica is { State: ReplicaState.Assigned, WorkerId: { } worker } && _leasesByWorker.TryGetValue(worker, out var leases))
        {
            leases.Remove((replica.UnitIndex, replica.Replica));
            if (leases.Count == 0)
            {
                _leasesByWorker.Remove(worker);
                _usualTurnaround.Remove(worker);
            }
            Tally(worker, HostTally.None);
            if (replica.AccountId is { } account && _leaseCountByAccount.TryGetValue(account, out var count))
            {
                if (count <= 1)
                {
                    _leaseCountByAccount.Remove(account);
                }
                else
                {
                    _leaseCountByAccount[account] = count - 1;
                }
            }
        }
    }

    private sealed class OpenUnit(UnitRecord record, List<ReplicaRecord> replicas)
    {
        public UnitRecord Record { get; set; } = record;

        /// <summary>Indexed by replica number: replicas are numbered 0, 1, 2… as they are created.</summary>
        public List<ReplicaRecord> Replicas { get; } = replicas;

        public ReplicaRecord? Find(int replica) => replica >= 0 && replica < Replicas.Count ? Replicas[replica] : null;
    }
}

/// <summary>The bounds a job's workbook keeps to, from the coordinator's settings.</summary>
/// <param name="MaxOpenUnits">Units split out and in play at once (bounds memory).</param>
/// <param name="MaxFailedUnitShare">The share of units that may fail with the job still completing.</param>
/// <param name="PlacementPoolSize">How many of the oldest waiting units a new replica is picked from at random.</param>
/// <param name="MaxInProgressPerAccount">Replicas of the job that one account's hosts may hold together.</param>
/// <param name="SpotCheckShare">The share of a trusted host's units still replicated (adaptive replication).</param>
/// <param name="TailShare">The last share of the job's units, in which fast hosts are preferred and late replicas get speculative siblings.</param>
/// <param name="SpeculationFactor">How many of its host's usual turnarounds a replica in the tail may be out before it gets a sibling.</param>
public sealed record WorkbookLimits(
    int MaxOpenUnits,
    double MaxFailedUnitShare,
    int PlacementPoolSize,
    int MaxInProgressPerAccount,
    double SpotCheckShare = 0.1,
    double TailShare = 0.05,
    double SpeculationFactor = 3);

/// <summary>What a host was leased: resent leases first, then new ones; only the new ones count against its quota.</summary>
public sealed record LeaseOutcome(IReadOnlyList<ReplicaLease> Leases, int Issued);

using System.Text.Json;
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
    private readonly Dictionary<long, UnitRecord> _changedUnits = [];
    private readonly Dictionary<(long Unit, int Replica), ReplicaRecord> _changedReplicas = [];
    private IEnumerator<UnitInput>? _split;
    private bool _jobChanged;

    /// <param name="parameters">The job's parameters, parsed once by the caller (they are also in <paramref name="job"/> as text).</param>
    public JobWorkbook(
        JobRecord job,
        JsonElement parameters,
        IScienceApp app,
        IEnumerable<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)> openUnits,
        WorkbookLimits limits)
    {
        Job = job;
        _app = app;
        _parameters = parameters;
        _limits = limits;
        foreach (var (unit, replicas) in openUnits)
        {
            var open = new OpenUnit(unit, [.. replicas.OrderBy(r => r.Replica)]);
            _open.Add(unit.UnitIndex, open);
            open.Replicas.ForEach(Index);
            if (open.Replicas.Any(r => r.State == ReplicaState.Unsent))
            {
                _unitsWithUnsentReplicas.Add(unit.UnitIndex);
            }
        }
    }

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
            if (MayPlace(_open[unitIndex], host))
            {
                pool.Add(_open[unitIndex]);
            }
        }
        // Split more units out only to keep the pool full: a pool of one would tell two hosts asking back to
        // back that they will get the sibling replicas of the same unit.
        while (pool.Count < poolSize && _open.Count < _limits.MaxOpenUnits && Job.UnitsOpened < Job.UnitCount)
        {
            pool.Add(OpenNextUnit());
        }
        for (var i = 0; i < wanted && i < pool.Count; i++)
        {
            // A pool of exactly what is wanted is still shuffled unless the setting asks for oldest first, in order.
            var pick = _limits.PlacementPoolSize > 1 ? Random.Shared.Next(i, pool.Count) : i;
            (pool[i], pool[pick]) = (pool[pick], pool[i]);
            leases.Add(Assign(pool[i], host, now));
        }
        return new LeaseOutcome(leases, Math.Min(wanted, pool.Count));
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

    /// <summary>Records an accepted result, then validates and, on quorum, assimilates its unit.</summary>
    public void Apply(ReplicaResult result, DateTimeOffset now)
    {
        var unit = _open[result.Replica.UnitIndex];
        var replica = unit.Find(result.Replica.Replica)!;
        // A result the app can tell is wrong on its own is invalid at once: it never takes part in a quorum.
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
        });
        if (implausible is not null || result.Outcome == ReportOutcome.Error)
        {
            Tally(replica.WorkerId, implausible is not null ? new HostTally(0, 1, 0, 0) : new HostTally(0, 0, 1, 0));
        }
        Reconcile(unit, now);
    }

    /// <summary>Voids every lease whose deadline has passed and sends out replacements.</summary>
    public int ExpireLeases(DateTimeOffset now)
    {
        Predicate<ReplicaRecord> isLate = replica => replica.State == ReplicaState.Assigned && replica.Deadline <= now;
        // The sweep runs every few seconds over the whole open window: copy only the units it changes
        // (reconciling may close a unit, so they are picked before any is touched).
        var expired = 0;
        foreach (var unit in _open.Values.Where(u => u.Replicas.Exists(isLate)).ToList())
        {
            var late = unit.Replicas.FindAll(isLate);
            late.ForEach(replica =>
            {
                SetReplica(unit, replica with { State = ReplicaState.TimedOut });
                Tally(replica.WorkerId, new HostTally(0, 0, 0, 1));
            });
            expired += late.Count;
            Reconcile(unit, now);
        }
        return expired;
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
        _jobChanged = false;
        _changedUnits.Clear();
        _changedReplicas.Clear();
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
        var unit = new OpenUnit(new UnitRecord(Job.Id, input.Index, input.Json, UnitState.Pending, 0, null), []);
        _open.Add(input.Index, unit);
        SetJob(Job with { UnitsOpened = input.Index + 1 });
        AddReplicas(unit, Job.Redundancy.TargetResults);
        return unit;
    }

    /// <summary>
    /// Whether a replica of the unit may go to the host: not if any replica of it was ever issued to the same
    /// host, the same account or (when networks are separated) the same network. BOINC's one result per host
    /// and per user per workunit, so no volunteer validates their own result, and a replica the host let time out
    /// counts too: otherwise a host that abandons its leases again and again could exhaust a unit's budget alone.
    /// </summary>
    private static bool MayPlace(OpenUnit unit, VolunteerHost host) => !unit.Replicas.Exists(r =>
        r.WorkerId == host.WorkerId || r.AccountId == host.AccountId || (host.Network is not null && r.Network == host.Network));

    private ReplicaLease Assign(OpenUnit unit, VolunteerHost host, DateTimeOffset now)
    {
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
        return LeaseOf(unit, replica);
    }

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
        switch (QuorumPolicy.Decide(Job.Redundancy, unit.Replicas, _app.Comparator))
        {
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
    /// Folds the canonical result into the job's result, then validates the unit. The unit's Assimilated state
    /// and the new accumulated result leave in the same batch, so a unit is assimilated exactly once. A result
    /// the reducer refuses was not valid after all, however many hosts agreed on it.
    /// </summary>
    private void Assimilate(OpenUnit unit, QuorumDecision.Valid valid, DateTimeOffset now)
    {
        var canonical = unit.Find(valid.Canonical)!;
        string accumulated;
        try
        {
            accumulated = _app.Reducer.Fold(Job.Accumulated, new UnitInput(unit.Record.UnitIndex, unit.Record.Input), canonical.Payload);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or JsonException)
        {
            // Agreeing hosts (colluding, or sharing one bug) cannot sink the unit: their results are invalid,
            // and fresh replicas go to other accounts until the unit's budget says otherwise.
            Reject(unit, valid.Agreeing, $"The result could not be assimilated: {ex.Message}");
            Reconcile(unit, now);
            return;
        }
        Validate(unit, valid);
        foreach (var replica in valid.Agreeing)
        {
            Tally(unit.Replicas[replica].WorkerId, new HostTally(1, 0, 0, 0));
        }
        foreach (var replica in valid.Dissenting)
        {
            Tally(unit.Replicas[replica].WorkerId, new HostTally(0, 1, 0, 0));
        }
        SetUnit(unit, unit.Record with { State = UnitState.Assimilated });
        Close(unit);
        SetJob(Job with { Accumulated = accumulated, UnitsAssimilated = Job.UnitsAssimilated + 1 });
        CompleteIfSettled(now);
    }

    private void Reject(OpenUnit unit, IEnumerable<int> replicas, string reason)
    {
        foreach (var replica in replicas)
        {
            SetReplica(unit, unit.Replicas[replica] with { State = ReplicaState.Invalid, Error = reason });
            Tally(unit.Replicas[replica].WorkerId, new HostTally(0, 1, 0, 0));
        }
    }

    private void Tally(Guid? workerId, HostTally tally)
    {
        if (workerId is { } worker)
        {
            _tallies[worker] = _tallies.TryGetValue(worker, out var sum) ? sum.Then(tally) : tally;
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
public sealed record WorkbookLimits(int MaxOpenUnits, double MaxFailedUnitShare, int PlacementPoolSize, int MaxInProgressPerAccount);

/// <summary>What a host was leased: resent leases first, then new ones; only the new ones count against its quota.</summary>
public sealed record LeaseOutcome(IReadOnlyList<ReplicaLease> Leases, int Issued);

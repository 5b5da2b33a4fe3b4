using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Agent;

/// <summary>
/// The machine's slots, shared by the attached projects in proportion to their resource shares (BOINC's weighted
/// fair share): when a slot comes free, the waiting unit of the project that has computed least for its share
/// (compute seconds used / share) takes it, so a project with share 300 gets three times the computing of one with
/// 100 while both have work; a project with none waiting leaves its slots to the others. How many slots there are is
/// the owner's <see cref="ComputeLimits.Slots"/> as the governor has it now: a change applies to the next start
/// (running units are not stopped when it shrinks).
/// </summary>
public sealed class SlotPool(ComputeGovernor governor, TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private readonly List<Member> _members = [];
    private readonly List<Waiter> _waiting = [];
    private long _arrivals;
    private int _busy;

    /// <summary>How many units may compute at once now.</summary>
    public int Slots => governor.Limits.Slots;

    /// <summary>Slots taken now.</summary>
    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return _busy;
            }
        }
    }

    /// <summary>Makes <paramref name="project"/> a member with this share of the slots.</summary>
    public Member Join(string project, int resourceShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resourceShare, 1);
        var member = new Member(this, project, resourceShare);
        lock (_gate)
        {
            _members.Add(member);
        }
        return member;
    }

    /// <summary>
    /// Waits until units may compute (the governor) and a slot is this unit's; dispose the slot when the unit ends.
    /// Throws OperationCanceledException when cancelled while waiting.
    /// </summary>
    public async Task<Slot> AcquireAsync(Member member, CancellationToken cancellationToken)
    {
        await governor.WaitUntilMayComputeAsync(cancellationToken);
        var waiter = new Waiter(member, new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            waiter.Arrival = ++_arrivals;
            _waiting.Add(waiter);
            Dispatch();
        }
        using (cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                // One already given its slot keeps it: the caller disposes what it gets.
                if (_waiting.Remove(waiter))
                {
                    waiter.Granted.TrySetCanceled(cancellationToken);
                }
            }
        }))
        {
            return await waiter.Granted.Task;
        }
    }

    /// <summary>Gives free slots to waiting units, e.g. after the owner allowed more slots.</summary>
    public void Recheck()
    {
        lock (_gate)
        {
            Dispatch();
        }
    }

    /// <summary>Called under the lock.</summary>
    private void Dispatch()
    {
        while (_busy < governor.Limits.Slots && _waiting.Count > 0)
        {
            var now = timeProvider.GetTimestamp();
            var next = _waiting.MinBy(w => (w.Member.UsedPerShare(now), w.Arrival))!;
            _waiting.Remove(next);
            _busy++;
            var slot = new Slot(this, next.Member, now);
            next.Member.Running.Add(slot);
            next.Granted.SetResult(slot);
        }
    }

    private void Release(Slot slot)
    {
        lock (_gate)
        {
            if (!slot.Member.Running.Remove(slot))
            {
                return;
            }
            _busy--;
            slot.Member.Used += timeProvider.GetElapsedTime(slot.Since).TotalSeconds;
            Dispatch();
        }
    }

    /// <summary>The share of all slots a member's work buffer is sized for: its share against all members' now.</summary>
    private double SlotShareOf(Member member)
    {
        lock (_gate)
        {
            return (double)governor.Limits.Slots * member.ResourceShare / _members.Sum(m => m.ResourceShare);
        }
    }

    private sealed class Waiter(Member member, TaskCompletionSource<Slot> granted)
    {
        public Member Member { get; } = member;

        public TaskCompletionSource<Slot> Granted { get; } = granted;

        public long Arrival { get; set; }
    }

    /// <summary>A project among the pool's members.</summary>
    public sealed class Member
    {
        private readonly SlotPool _pool;

        internal Member(SlotPool pool, string project, int resourceShare) => (_pool, Project, ResourceShare) = (pool, project, resourceShare);

        public string Project { get; }

        public int ResourceShare { get; }

        /// <summary>Its share of the slots (slots × its share / all shares), which its work buffer is sized for.</summary>
        public double SlotShare => _pool.SlotShareOf(this);

        /// <summary>Compute seconds of its units that ended.</summary>
        internal double Used { get; set; }

        internal HashSet<Slot> Running { get; } = [];

        /// <summary>Compute seconds used so far (running units included), per unit of share. Called under the pool's lock.</summary>
        internal double UsedPerShare(long now) =>
            (Used + Running.Sum(s => _pool.ElapsedSeconds(s.Since, now))) / ResourceShare;
    }

    private double ElapsedSeconds(long since, long now) => timeProvider.GetElapsedTime(since, now).TotalSeconds;

    /// <summary>A slot a unit computes in; disposing it frees it for the next unit.</summary>
    public sealed class Slot : IDisposable
    {
        private SlotPool? _pool;

        internal Slot(SlotPool pool, Member member, long since) => (_pool, Member, Since) = (pool, member, since);

        internal Member Member { get; }

        internal long Since { get; }

        public void Dispose() => Interlocked.Exchange(ref _pool, null)?.Release(this);
    }
}

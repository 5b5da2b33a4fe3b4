namespace Volunteer.Coordinator.Grains;

/// <summary>
/// A count for each of the last <see cref="Capacity"/> seconds (Unix seconds), in a fixed array: moving on to a later
/// second forgets the oldest and zeroes the seconds skipped. Seconds before the first one ever counted are not known
/// (not zero): a ring that starts now has no history. Not thread-safe: its owner serializes calls.
/// </summary>
public sealed class SecondRing(int capacity = SecondRing.Hour)
{
    public const int Hour = 3600;

    private readonly long[] _counts = new long[capacity];
    private long _first;
    private long _last = -1;

    public int Capacity { get; } = capacity;

    /// <summary>The latest second known; -1 while none is.</summary>
    public long LastSecond => _last;

    /// <summary>The earliest second still known (the ring holds every second from it to <see cref="LastSecond"/>).</summary>
    public long FirstSecond => Math.Max(_first, _last - Capacity + 1);

    public bool IsEmpty => _last < 0;

    /// <summary>The count of <paramref name="second"/>: 0 if it is not known.</summary>
    public long this[long second] => Knows(second) ? _counts[Slot(second)] : 0;

    public bool Knows(long second) => !IsEmpty && second >= FirstSecond && second <= _last;

    /// <summary>Adds to <paramref name="second"/>'s count, moving on to it if it is later; a second older than the ring holds is dropped.</summary>
    public void Add(long second, long count)
    {
        if (MoveTo(second))
        {
            _counts[Slot(second)] += count;
        }
    }

    /// <summary>Sets <paramref name="second"/>'s count, moving on to it if it is later; a second older than the ring holds is dropped.</summary>
    public void Set(long second, long count)
    {
        if (MoveTo(second))
        {
            _counts[Slot(second)] = count;
        }
    }

    /// <summary>Sets every second of <paramref name="counts"/> (the cluster's sums, say).</summary>
    public void Set(SecondCounts counts)
    {
        for (var i = 0; i < counts.Counts.Length; i++)
        {
            Set(counts.FirstSecond + i, counts.Counts[i]);
        }
    }

    /// <summary>The known seconds after <paramref name="afterSecond"/> up to <paramref name="upTo"/>, oldest first.</summary>
    public SecondCounts After(long afterSecond, long upTo)
    {
        if (IsEmpty)
        {
            return SecondCounts.None;
        }
        var first = Math.Max(afterSecond + 1, FirstSecond);
        var last = Math.Min(upTo, _last);
        if (last < first)
        {
            return SecondCounts.None;
        }
        var counts = new long[last - first + 1];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = _counts[Slot(first + i)];
        }
        return new SecondCounts(first, counts);
    }

    /// <summary>Makes <paramref name="second"/> known, zeroing the seconds between the last known and it; false if it is too old to hold.</summary>
    private bool MoveTo(long second)
    {
        if (second < 0)
        {
            return false;
        }
        if (IsEmpty)
        {
            _first = second;
            _last = second;
            _counts[Slot(second)] = 0;
            return true;
        }
        if (second <= _last)
        {
            if (second > _last - Capacity && second < _first)
            {
                // Earlier than the first second counted but within the hour: it becomes known (its neighbours up to the
                // first were unknown, so they are zero).
                for (var s = second; s < _first; s++)
                {
                    _counts[Slot(s)] = 0;
                }
                _first = second;
            }
            return second >= FirstSecond;
        }
        var skipped = Math.Min(second - _last, Capacity);
        for (var s = second - skipped + 1; s <= second; s++)
        {
            _counts[Slot(s)] = 0;
        }
        _last = second;
        return true;
    }

    private int Slot(long second) => (int)(second % Capacity);
}

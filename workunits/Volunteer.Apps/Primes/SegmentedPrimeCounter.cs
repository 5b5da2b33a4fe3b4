using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Volunteer.Apps.Primes;

/// <summary>
/// Counts the primes in [from, to) one segment at a time, so that a caller can check for
/// cancellation, report progress and checkpoint between segments.
/// </summary>
/// <remarks>
/// Only odd numbers are sieved (2 is counted apart): bit k of the sieve stands for the odd number
/// 2k + 1, so the odd numbers of [from, to) are exactly the indices [from / 2, to / 2). A segment is
/// 32 KiB of bits (524,288 numbers), sized to stay in the L1/L2 cache while every sieving prime
/// crosses off its multiples in it; the survivors are counted with popcount.
/// </remarks>
internal sealed class SegmentedPrimeCounter
{
    private const int CacheSegmentBits = 32 * 1024 * 8;

    // Each segment walks every active sieving prime once. Far out (to near 10^16, millions of
    // sieving primes) a cache-sized segment would spend its time on that walk rather than on
    // crossing off, so the segment grows to a few bits per sieving prime.
    private const int SegmentBitsPerSievingPrime = 8;

    // But no larger than this (16.8 million numbers), so that a segment stays some tens of milliseconds of work even
    // near 10^16: the caller reports progress between segments, and the agent pauses and throttles the unit there.
    // Measured on the 2-core test machine, 10^9 numbers below 10^16 took as long with it as without (4.0 s against
    // 3.6 to 4.7 s, a busy machine), in 60 segments of some 67 ms instead of 11 of some 430 ms.
    private const int MaxSegmentBits = 1 << 23;

    private readonly long _from;
    private readonly long _to;
    private readonly long _endIndex;
    private readonly int[] _primes;

    // For each active prime p, the index of its next odd multiple to cross off, relative to the
    // start of the current segment. Always below p + segment length, so it fits an int.
    private readonly int[] _offsets;
    private readonly ulong[] _words;
    private readonly int _segmentBits;
    private int _activePrimes;
    private long _lowIndex;
    private bool _twoCounted;

    public SegmentedPrimeCounter(long from, long to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfLessThan(to, from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, PrimeSieve.MaxTo);

        _from = from;
        _to = to;
        _lowIndex = from / 2;
        _endIndex = to / 2;

        // Every composite below to has a prime factor at most sqrt(to - 1).
        _primes = PrimeSieve.OddPrimesUpTo(to < 2 ? 0 : (int)IntegerSqrt(to - 1));
        _offsets = new int[_primes.Length];

        var segmentBits = Math.Min(Math.Max(CacheSegmentBits, _primes.Length * SegmentBitsPerSievingPrime), MaxSegmentBits);
        segmentBits = (int)Math.Min(segmentBits, _endIndex - _lowIndex);
        _segmentBits = (segmentBits + 63) & ~63;
        _words = new ulong[_segmentBits / 64];

        Position = IsDone ? _to : _from;
        CountTwoIfPassed();
    }

    /// <summary>
    /// The most memory a counter up to <paramref name="to"/> takes: the sieving primes below its square root with their
    /// offsets, and the list that collects them (int each, the list at most twice its count), the bits of the small sieve
    /// that finds them, and one segment. π(x) is below 1.26 x / ln x for x > 1 (Rosser and Schoenfeld).
    /// </summary>
    public static long MemoryNeed(long to)
    {
        var root = Math.Max(2.0, Math.Sqrt(to));
        var sievingPrimes = (long)(1.26 * root / Math.Log(root)) + 1;
        return (sievingPrimes * 4 * 4) + ((long)root / 8) + (MaxSegmentBits / 8);
    }

    /// <summary>Everything below this number (and at or above from) has been counted.</summary>
    public long Position { get; private set; }

    /// <summary>The number of primes in [from, <see cref="Position"/>).</summary>
    public long Count { get; private set; }

    public bool IsDone => _lowIndex >= _endIndex;

    public void SieveNextSegment()
    {
        if (IsDone)
        {
            return;
        }

        var length = (int)Math.Min(_segmentBits, _endIndex - _lowIndex);
        var words = _words.AsSpan(0, (length + 63) >> 6);
        words.Fill(ulong.MaxValue);
        if ((length & 63) != 0)
        {
            // Bits past the end of the range must not be counted.
            words[^1] = (1UL << length) - 1;
        }
        if (_lowIndex == 0)
        {
            // Index 0 stands for 1, which is not a prime.
            words[0] &= ~1UL;
        }

        ActivatePrimes(length);
        CrossOff(length);

        long survivors = 0;
        foreach (var word in words)
        {
            survivors += BitOperations.PopCount(word);
        }
        Count += survivors;
        _lowIndex += length;
        Position = IsDone ? _to : 2 * _lowIndex;
        CountTwoIfPassed();
    }

    /// <summary>
    /// Starts sieving with each prime once its square falls in the segment: smaller multiples have
    /// a smaller prime factor and are crossed off by it already.
    /// </summary>
    private void ActivatePrimes(int length)
    {
        var lowestNumber = (2 * _lowIndex) + 1;
        var highestNumber = (2 * (_lowIndex + length)) - 1;
        while (_activePrimes < _primes.Length)
        {
            long p = _primes[_activePrimes];
            if (p * p > highestNumber)
            {
                break;
            }
            var first = Math.Max(p * p, lowestNumber);
            var multiple = (first + p - 1) / p * p;
            if ((multiple & 1) == 0)
            {
                multiple += p;
            }
            _offsets[_activePrimes] = (int)((multiple / 2) - _lowIndex);
            _activePrimes++;
        }
    }

    private void CrossOff(int length)
    {
        // The hot loop of the whole app: unchecked element access, because j < length <= 64 * words
        // holds by construction and the bounds checks would cost a good part of the run time.
        ref var word0 = ref MemoryMarshal.GetArrayDataReference(_words);
        ref var prime0 = ref MemoryMarshal.GetArrayDataReference(_primes);
        ref var offset0 = ref MemoryMarshal.GetArrayDataReference(_offsets);
        for (var i = 0; i < _activePrimes; i++)
        {
            var p = Unsafe.Add(ref prime0, i);
            ref var offset = ref Unsafe.Add(ref offset0, i);
            var j = offset;
            for (; j < length; j += p)
            {
                Unsafe.Add(ref word0, j >> 6) &= ~(1UL << j);
            }
            offset = j - length;
        }
    }

    private void CountTwoIfPassed()
    {
        if (!_twoCounted && _from <= 2 && 2 < Position)
        {
            Count++;
            _twoCounted = true;
        }
    }

    private static long IntegerSqrt(long n)
    {
        var root = (long)Math.Sqrt(n);
        while (root * root > n)
        {
            root--;
        }
        while ((root + 1) * (root + 1) <= n)
        {
            root++;
        }
        return root;
    }
}

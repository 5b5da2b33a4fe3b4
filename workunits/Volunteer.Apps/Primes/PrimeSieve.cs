namespace Volunteer.Apps.Primes;

/// <summary>Counts primes in a range with a segmented sieve of Eratosthenes.</summary>
public static class PrimeSieve
{
    /// <summary>
    /// The largest supported end of range, 10^16: the sieving primes (up to 10^8) and their offsets
    /// then fit in Int32 and every product the sieve forms stays far inside Int64.
    /// </summary>
    public const long MaxTo = 10_000_000_000_000_000;

    /// <summary>The number of primes p with <paramref name="from"/> &lt;= p &lt; <paramref name="to"/>.</summary>
    public static long CountPrimes(long from, long to)
    {
        var counter = new SegmentedPrimeCounter(from, to);
        while (!counter.IsDone)
        {
            counter.SieveNextSegment();
        }
        return counter.Count;
    }

    /// <summary>
    /// The odd primes up to <paramref name="limit"/>, by a plain odd-only sieve of Eratosthenes.
    /// Limit is at most sqrt(<see cref="MaxTo"/>) = 10^8, so the bit array is at most 6.25 MB.
    /// </summary>
    internal static int[] OddPrimesUpTo(int limit)
    {
        if (limit < 3)
        {
            return [];
        }

        // Bit i stands for the odd number 2i + 1; i runs over 1..last (i = 0 is 1, not a prime).
        var last = (limit - 1) / 2;
        var composite = new ulong[(last >> 6) + 1];
        for (long i = 1; ; i++)
        {
            var p = (2 * i) + 1;
            if (p * p > limit)
            {
                break;
            }
            if ((composite[i >> 6] & (1UL << (int)i)) == 0)
            {
                for (var j = (p * p) / 2; j <= last; j += p)
                {
                    composite[j >> 6] |= 1UL << (int)j;
                }
            }
        }

        var primes = new List<int>();
        for (var i = 1; i <= last; i++)
        {
            if ((composite[i >> 6] & (1UL << i)) == 0)
            {
                primes.Add((2 * i) + 1);
            }
        }
        return [.. primes];
    }
}

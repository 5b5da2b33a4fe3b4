using Volunteer.Apps.Primes;

namespace Volunteer.WorkUnits.Tests;

public sealed class PrimeSieveTests
{
    // A segment of the sieve covers 2^19 numbers; these points sit on and around its boundaries.
    private const long SegmentSpan = 1L << 19;

    private const int ReferenceLimit = 3_000_000;

    private static readonly Lazy<long[]> ReferencePrefixCounts = new(() =>
    {
        var isPrime = Reference.IsPrimeBelow(ReferenceLimit + 1);
        var prefix = new long[ReferenceLimit + 1];
        for (var n = 1; n <= ReferenceLimit; n++)
        {
            prefix[n] = prefix[n - 1] + (isPrime[n - 1] ? 1 : 0);
        }
        return prefix;
    });

    [Theory]
    [InlineData(10L, 4L)]
    [InlineData(100L, 25L)]
    [InlineData(1_000L, 168L)]
    [InlineData(10_000L, 1_229L)]
    [InlineData(100_000L, 9_592L)]
    [InlineData(1_000_000L, 78_498L)]
    [InlineData(10_000_000L, 664_579L)]
    [InlineData(100_000_000L, 5_761_455L)]
    [InlineData(1_000_000_000L, 50_847_534L)]
    public void Counts_the_known_number_of_primes_below_a_power_of_ten(long n, long expected) =>
        Assert.Equal(expected, PrimeSieve.CountPrimes(0, n));

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(0L, 1L)]
    [InlineData(0L, 2L)]
    [InlineData(0L, 3L)]
    [InlineData(1L, 2L)]
    [InlineData(2L, 3L)]
    [InlineData(3L, 4L)]
    [InlineData(1L, 10L)]
    [InlineData(4L, 4L)]
    [InlineData(24L, 29L)]
    [InlineData(24L, 30L)]
    [InlineData(89L, 97L)]
    [InlineData(90L, 98L)]
    [InlineData(7_919L, 7_920L)]
    [InlineData(1_000_000L, 1_000_100L)]
    public void Small_intervals_match_trial_division(long from, long to) =>
        Assert.Equal(Reference.Count(from, to, Reference.IsPrimeByTrialDivision), PrimeSieve.CountPrimes(from, to));

    [Fact]
    public void Intervals_around_segment_boundaries_match_a_plain_sieve()
    {
        long[] points =
        [
            0, 1, 2, 3, 5, 1_000,
            SegmentSpan - 3, SegmentSpan - 1, SegmentSpan, SegmentSpan + 1, SegmentSpan + 2,
            (2 * SegmentSpan) - 1, 2 * SegmentSpan, (2 * SegmentSpan) + 1,
            (5 * SegmentSpan) + 7, ReferenceLimit - 1, ReferenceLimit,
        ];
        var prefix = ReferencePrefixCounts.Value;
        foreach (var from in points)
        {
            foreach (var to in points.Where(to => to >= from))
            {
                Assert.True(
                    prefix[to] - prefix[from] == PrimeSieve.CountPrimes(from, to),
                    $"Wrong count in [{from}, {to}).");
            }
        }
    }

    [Fact]
    public void Random_intervals_match_a_plain_sieve()
    {
        var random = new Random(20240601);
        var prefix = ReferencePrefixCounts.Value;
        for (var i = 0; i < 200; i++)
        {
            var a = random.NextInt64(ReferenceLimit + 1);
            var b = random.NextInt64(ReferenceLimit + 1);
            var (from, to) = (Math.Min(a, b), Math.Max(a, b));
            Assert.True(
                prefix[to] - prefix[from] == PrimeSieve.CountPrimes(from, to),
                $"Wrong count in [{from}, {to}).");
        }
    }

    [Fact]
    public void An_interval_at_ten_to_the_twelfth_matches_trial_division()
    {
        const long from = 1_000_000_000_000;
        const long to = from + 100_000;
        // Up to a prime whose square exceeds every n in the interval (1,000,003^2 > 10^12 + 10^5).
        var isPrime = Reference.IsPrimeBelow(1_000_010);
        var smallPrimes = Enumerable.Range(0, isPrime.Length).Where(n => isPrime[n]).Select(n => (long)n).ToArray();

        var expected = Reference.Count(from, to, n => Reference.IsPrimeByTrialDivision(n, smallPrimes));

        Assert.Equal(expected, PrimeSieve.CountPrimes(from, to));
    }

    [Theory]
    [InlineData(1_000_000_000_000L - 50_000L, 1_000_000_000_000L + 50_000L)]
    [InlineData(4_294_967_296L - 100_000L, 4_294_967_296L + 100_000L)]
    [InlineData(9_999_999_999_800_000L, 10_000_000_000_000_000L)]
    [InlineData(9_999_999_999_999_900L, 9_999_999_999_999_999L)]
    public void Intervals_far_out_match_miller_rabin(long from, long to) =>
        Assert.Equal(Reference.Count(from, to, Reference.IsPrimeByMillerRabin), PrimeSieve.CountPrimes(from, to));

    [Fact]
    public void Counts_add_up_across_cut_points_where_segments_are_large()
    {
        // Near 10^13 there are about 227,000 sieving primes and segments grow to some 3.6 million
        // numbers; cutting the interval anywhere moves every segment boundary.
        const long from = 10_000_000_000_000;
        const long to = from + 10_000_000;
        var whole = PrimeSieve.CountPrimes(from, to);

        foreach (var cut in new[] { from + 1, from + 1_234_567, from + 3_600_001, to - 1 })
        {
            Assert.Equal(whole, PrimeSieve.CountPrimes(from, cut) + PrimeSieve.CountPrimes(cut, to));
        }
    }

    [Fact]
    public void Near_the_top_segments_are_capped_and_counts_still_add_up()
    {
        // Below 10^16 there are 5.76 million sieving primes: segments would grow to 92 million numbers, and are capped at
        // 16.8 million. Forty million numbers in capped segments against four pieces of ten million, one segment each.
        const long to = PrimeSieve.MaxTo;
        const long from = to - 40_000_000;
        var pieces = Enumerable.Range(0, 4).Sum(i => PrimeSieve.CountPrimes(from + (i * 10_000_000L), from + ((i + 1) * 10_000_000L)));

        Assert.Equal(pieces, PrimeSieve.CountPrimes(from, to));
    }

    [Fact]
    public void Ranges_outside_the_supported_ones_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimeSieve.CountPrimes(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimeSieve.CountPrimes(10, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimeSieve.CountPrimes(0, PrimeSieve.MaxTo + 1));
    }
}

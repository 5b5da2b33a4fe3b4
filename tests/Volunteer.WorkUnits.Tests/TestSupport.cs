using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.WorkUnits.Tests;

/// <summary>A unit context that remembers what the computer told it.</summary>
internal sealed class RecordingContext(ReadOnlyMemory<byte>? checkpoint = null, Action<double>? onProgress = null, IReadOnlyDictionary<string, byte[]>? blobs = null)
    : IUnitContext
{
    public Stream OpenBlob(string digest) => blobs is not null && blobs.TryGetValue(digest, out var blob)
        ? new MemoryStream(blob, writable: false)
        : throw new InvalidOperationException($"The unit's job names no blob {digest}.");

    public ReadOnlyMemory<byte>? Checkpoint { get; } = checkpoint;

    public List<byte[]> SavedCheckpoints { get; } = [];

    public List<double> Progress { get; } = [];

    public void ReportProgress(double fractionDone)
    {
        Progress.Add(fractionDone);
        onProgress?.Invoke(fractionDone);
    }

    /// <summary>What the context answers when the computer asks whether to checkpoint; a test may change it as it goes.</summary>
    public bool TimeToCheckpoint { get; set; }

    /// <summary>The fraction done each saved checkpoint stands for, as the computer said.</summary>
    public List<double> CheckpointFractions { get; } = [];

    public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken)
    {
        SavedCheckpoints.Add(state.ToArray());
        CheckpointFractions.Add(fractionDone);
        return Task.CompletedTask;
    }
}

internal static class Json
{
    public static JsonElement Parse(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    public static string Unit(long from, long to) => $$"""{"from":{{from}},"to":{{to}}}""";

    public static string Job(long from, long to, long unitSize) =>
        $$"""{"from":{{from}},"to":{{to}},"unitSize":{{unitSize}}}""";

    public static byte[] Payload(long primeCount) => Encoding.UTF8.GetBytes($$"""{"primeCount":{{primeCount}}}""");
}

internal static class Checkpoints
{
    public static (long NextPosition, long CountSoFar) Decode(byte[] state) =>
        (BinaryPrimitives.ReadInt64LittleEndian(state), BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(8)));

    public static byte[] Encode(long nextPosition, long countSoFar)
    {
        var state = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(state, nextPosition);
        BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(8), countSoFar);
        return state;
    }
}

/// <summary>Slow but obviously correct prime tests to check the sieve against.</summary>
internal static class Reference
{
    /// <summary>Plain sieve of Eratosthenes over [0, limit), one bool per number.</summary>
    public static bool[] IsPrimeBelow(int limit)
    {
        var isPrime = new bool[limit];
        for (var n = 2; n < limit; n++)
        {
            isPrime[n] = true;
        }
        for (long p = 2; p * p < limit; p++)
        {
            if (isPrime[p])
            {
                for (var m = p * p; m < limit; m += p)
                {
                    isPrime[m] = false;
                }
            }
        }
        return isPrime;
    }

    public static bool IsPrimeByTrialDivision(long n)
    {
        if (n < 2)
        {
            return false;
        }
        for (long d = 2; d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Trial division by the given primes, which must include every prime up to sqrt(n).</summary>
    public static bool IsPrimeByTrialDivision(long n, IReadOnlyList<long> primes)
    {
        if (n < 2)
        {
            return false;
        }
        foreach (var p in primes)
        {
            if (p * p > n)
            {
                return true;
            }
            if (n % p == 0)
            {
                return false;
            }
        }
        throw new ArgumentException("Not enough primes to decide.", nameof(primes));
    }

    /// <summary>Miller–Rabin with the first twelve primes as bases, deterministic below 3.3 * 10^24.</summary>
    public static bool IsPrimeByMillerRabin(long n)
    {
        ReadOnlySpan<long> bases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        if (n < 2)
        {
            return false;
        }
        foreach (var p in bases)
        {
            if (n % p == 0)
            {
                return n == p;
            }
        }

        var d = n - 1;
        var shifts = 0;
        while ((d & 1) == 0)
        {
            d >>= 1;
            shifts++;
        }
        foreach (var a in bases)
        {
            var x = PowMod(a, d, n);
            if (x == 1 || x == n - 1)
            {
                continue;
            }
            var witness = true;
            for (var i = 1; i < shifts && witness; i++)
            {
                x = MulMod(x, x, n);
                witness = x != n - 1;
            }
            if (witness)
            {
                return false;
            }
        }
        return true;
    }

    public static long Count(long from, long to, Func<long, bool> isPrime)
    {
        long count = 0;
        for (var n = from; n < to; n++)
        {
            if (isPrime(n))
            {
                count++;
            }
        }
        return count;
    }

    private static long MulMod(long a, long b, long m) => (long)((UInt128)(ulong)a * (ulong)b % (ulong)m);

    private static long PowMod(long b, long e, long m)
    {
        long result = 1;
        b %= m;
        while (e > 0)
        {
            if ((e & 1) == 1)
            {
                result = MulMod(result, b, m);
            }
            b = MulMod(b, b, m);
            e >>= 1;
        }
        return result;
    }
}

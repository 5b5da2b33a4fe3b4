using System.Text.Json;

namespace Volunteer.EndToEnd.Tests.Relay;

/// <summary>The shared input of the relay tests: a DNA sequence, motifs to count in it, and the answer worked out here.</summary>
public static class SharedInputs
{
    public const int MiB = 1024 * 1024;

    /// <summary>Upper-case A, C, G and T drawn from a seeded generator: the same sequence on every run.</summary>
    public static byte[] Sequence(int length, int seed)
    {
        var random = new Random(seed);
        var sequence = new byte[length];
        random.NextBytes(sequence);
        for (var i = 0; i < sequence.Length; i++)
        {
            sequence[i] = "ACGT"u8[sequence[i] & 3];
        }
        return sequence;
    }

    /// <summary>Motifs of several lengths, some of which overlap themselves (AAA in AAAA counts twice).</summary>
    public static IReadOnlyList<string> Motifs(int count, int seed)
    {
        var random = new Random(seed);
        var motifs = new List<string> { "AAA", "ACGTACG", "TT", "GATTACA" };
        while (motifs.Count < count)
        {
            var motif = new string(Enumerable.Range(0, random.Next(3, 9)).Select(_ => "ACGT"[random.Next(4)]).ToArray());
            if (!motifs.Contains(motif))
            {
                motifs.Add(motif);
            }
        }
        return motifs.Take(count).ToList();
    }

    /// <summary>
    /// Occurrences of each motif, overlapping ones included, by trying every position: slow and plain on purpose, so it
    /// shares nothing with the app's own search.
    /// </summary>
    public static Dictionary<string, long> ReferenceCounts(byte[] sequence, IReadOnlyList<string> motifs)
    {
        var counts = new Dictionary<string, long>();
        foreach (var motif in motifs)
        {
            var pattern = motif.Select(c => (byte)c).ToArray();
            long count = 0;
            for (var at = 0; at + pattern.Length <= sequence.Length; at++)
            {
                var match = true;
                for (var k = 0; k < pattern.Length && match; k++)
                {
                    match = sequence[at + k] == pattern[k];
                }
                count += match ? 1 : 0;
            }
            counts[motif] = count;
        }
        return counts;
    }

    /// <summary>A motifs job over <paramref name="sequence"/>, every unit replicated twice (no adaptive replication: each unit reads the input twice).</summary>
    public static object MotifsJob(string sequence, IReadOnlyList<string> motifs, int motifsPerUnit, int? deadlineSeconds = null) => new
    {
        app = "motifs",
        parameters = new { sequence, motifs, motifsPerUnit },
        redundancy = new { targetResults = 2, minQuorum = 2, maxErrorResults = 3, maxTotalResults = 6 },
        adaptive = false,
        deadlineSeconds,
    };

    /// <summary>The job result's counts by motif.</summary>
    public static Dictionary<string, long> CountsIn(JsonElement result) =>
        result.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    /// <summary>The job's relay figures as its view shows them.</summary>
    public static JobRelayFigures RelayOf(JsonElement job)
    {
        var relay = job.GetProperty("relay");
        return new(relay.GetProperty("coordinatorBytes").GetInt64(), relay.GetProperty("peerBytes").GetInt64(),
            relay.GetProperty("badChunks").GetInt64(), relay.GetProperty("resultsPulled").GetInt64(), relay.GetProperty("reportsRelayed").GetInt64());
    }
}

public sealed record JobRelayFigures(long CoordinatorBytes, long PeerBytes, long BadChunks, long ResultsPulled, long ReportsRelayed);

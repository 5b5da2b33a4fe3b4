using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Volunteer.Apps.Motifs;

/// <summary>
/// Counts the occurrences, overlapping ones included, of a set of motifs in a DNA sequence read in one pass, however
/// many motifs there are (Aho–Corasick: the trie of the motifs, completed into an automaton over A, C, G, T).
/// </summary>
/// <remarks>
/// <para>What the sequence is, exactly: its bytes in order. A, C, G and T in either case are the letters; space, tab,
/// CR and LF are skipped, so a motif matches across line breaks (a sequence wrapped at 60 or 80 columns counts as one
/// line); any other byte (N, a digit, a '>' header) is a gap that no occurrence spans.</para>
/// <para>Each letter moves the automaton to the state of the longest suffix of the text read so far that is a prefix
/// of some motif, and counts one visit there. An occurrence of a motif ends exactly where the state reached has the
/// motif as a suffix, that is, where the motif's trie node lies on the state's suffix-link chain; so once the pass is
/// over, pushing every state's visits down its suffix link, deepest first, gives each motif's node its count.</para>
/// </remarks>
internal sealed class MotifCounter
{
    private const int Letters = 4;

    private const byte Skip = 4;

    private const byte Gap = 5;

    /// <summary>For state s and letter c, the next state: <c>_next[s * 4 + c]</c>.</summary>
    private readonly int[] _next;

    /// <summary>The longest proper suffix of each state's string that is also a state.</summary>
    private readonly int[] _suffix;

    /// <summary>The states in breadth-first order, so shallower states come first.</summary>
    private readonly int[] _byDepth;

    /// <summary>Each motif's trie node, in the order the motifs were given.</summary>
    private readonly int[] _motifStates;

    private readonly long[] _visits;

    private int _state;

    public MotifCounter(IReadOnlyList<string> motifs)
    {
        ArgumentNullException.ThrowIfNull(motifs);
        var next = new List<int>(Letters * 64) { -1, -1, -1, -1 };
        _motifStates = new int[motifs.Count];
        for (var m = 0; m < motifs.Count; m++)
        {
            var state = 0;
            foreach (var letter in motifs[m])
            {
                var c = LetterOf(letter);
                if (next[(state * Letters) + c] < 0)
                {
                    next[(state * Letters) + c] = next.Count / Letters;
                    next.AddRange([-1, -1, -1, -1]);
                }
                state = next[(state * Letters) + c];
            }
            _motifStates[m] = state;
        }

        _next = [.. next];
        var states = _next.Length / Letters;
        _suffix = new int[states];
        _byDepth = new int[states];
        _visits = new long[states];

        // Breadth first: a state's suffix is shallower, so its transitions are complete by the time they are borrowed.
        var queued = 1;
        for (var head = 0; head < queued; head++)
        {
            var state = _byDepth[head];
            for (var c = 0; c < Letters; c++)
            {
                var child = _next[(state * Letters) + c];
                // From the root, a letter no motif starts with stays at the root.
                var fallback = state == 0 ? 0 : _next[(_suffix[state] * Letters) + c];
                if (child < 0)
                {
                    _next[(state * Letters) + c] = fallback;
                }
                else
                {
                    _suffix[child] = fallback;
                    _byDepth[queued++] = child;
                }
            }
        }
    }

    /// <summary>Reads the next stretch of the sequence; a sequence may come in any number of stretches.</summary>
    public void Add(ReadOnlySpan<byte> sequence)
    {
        // The hot loop of the app, a table lookup and an increment per letter: unchecked element access, because every
        // state the tables hold is below their length by construction, and the bounds checks would cost a good part of it.
        var classes = Classes;
        ref var next = ref MemoryMarshal.GetArrayDataReference(_next);
        ref var visits = ref MemoryMarshal.GetArrayDataReference(_visits);
        var state = _state;
        foreach (var b in sequence)
        {
            var c = classes[b];
            if (c < Letters)
            {
                state = Unsafe.Add(ref next, (state * Letters) + c);
                Unsafe.Add(ref visits, state)++;
            }
            else if (c == Gap)
            {
                state = 0;
            }
        }
        _state = state;
    }

    /// <summary>The bytes <see cref="SaveState"/> writes: where the automaton stands and every state's visits.</summary>
    public int StateSize => sizeof(int) + (sizeof(long) * _visits.Length);

    /// <summary>Writes what was counted so far (little-endian), from which <see cref="TryRestoreState"/> goes on.</summary>
    public void SaveState(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, _state);
        for (var i = 0; i < _visits.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination[(sizeof(int) + (sizeof(long) * i))..], _visits[i]);
        }
    }

    /// <summary>Goes on from a state <see cref="SaveState"/> wrote for these motifs; false (nothing changed) for any other.</summary>
    public bool TryRestoreState(ReadOnlySpan<byte> source)
    {
        if (source.Length != StateSize)
        {
            return false;
        }
        var state = BinaryPrimitives.ReadInt32LittleEndian(source);
        var visits = new long[_visits.Length];
        for (var i = 0; i < visits.Length; i++)
        {
            visits[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(sizeof(int) + (sizeof(long) * i))..]);
        }
        if (state < 0 || state >= _visits.Length || visits.Any(v => v < 0))
        {
            return false;
        }
        _state = state;
        visits.CopyTo(_visits, 0);
        return true;
    }

    /// <summary>The occurrences of each motif in what was read, in the order the motifs were given.</summary>
    public long[] Counts()
    {
        var occurrences = (long[])_visits.Clone();
        for (var i = _byDepth.Length - 1; i > 0; i--)
        {
            var state = _byDepth[i];
            occurrences[_suffix[state]] += occurrences[state];
        }
        return [.. _motifStates.Select(state => occurrences[state])];
    }

    private static int LetterOf(char letter) => letter switch
    {
        'A' => 0,
        'C' => 1,
        'G' => 2,
        'T' => 3,
        _ => throw new ArgumentException($"A motif is made of A, C, G and T, not '{letter}'.", nameof(letter)),
    };

    /// <summary>Each byte's class: a letter 0..3, <see cref="Skip"/> or <see cref="Gap"/>. A 256-byte constant, so the lookup needs no bounds check.</summary>
    private static ReadOnlySpan<byte> Classes =>
    [
        5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 5, 5, 4, 5, 5, // \t \n \r
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, // space
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 0, 5, 1, 5, 5, 5, 2, 5, 5, 5, 5, 5, 5, 5, 5, // A C G
        5, 5, 5, 5, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, // T
        5, 0, 5, 1, 5, 5, 5, 2, 5, 5, 5, 5, 5, 5, 5, 5, // a c g
        5, 5, 5, 5, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, // t
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    ];
}

using System.Diagnostics.CodeAnalysis;

namespace Volunteer.Protocol;

/// <summary>
/// A worker agent's version as a project announces it and an agent carries it: MAJOR.MINOR[.PATCH[.REVISION]],
/// optionally with a pre-release tag (-beta.2) and build metadata (+1a2b3c, which .NET appends to an assembly's
/// informational version from its source revision and which says nothing of order). One parser for the coordinator,
/// which refuses to start on a version it could not announce, and the agent, which compares it with its own.
/// </summary>
public sealed class AgentVersion : IComparable<AgentVersion>
{
    private AgentVersion(Version number, string? preRelease, string text)
    {
        Number = number;
        PreRelease = preRelease;
        Text = text;
    }

    /// <summary>The numeric part, e.g. 1.4.0.</summary>
    public Version Number { get; }

    /// <summary>The pre-release tag without its dash (beta.2); null for a release.</summary>
    public string? PreRelease { get; }

    /// <summary>The version as written, build metadata removed.</summary>
    public string Text { get; }

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out AgentVersion? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var withoutBuild = text.Trim().Split('+', 2)[0];
        var dash = withoutBuild.IndexOf('-', StringComparison.Ordinal);
        var numeric = dash < 0 ? withoutBuild : withoutBuild[..dash];
        var preRelease = dash < 0 ? null : withoutBuild[(dash + 1)..];
        if (preRelease is { Length: 0 } || preRelease?.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-')) == true)
        {
            return false;
        }
        // Version.TryParse takes " 1. 2" and "+1.2"; a version written anywhere else is digits and dots only.
        if (numeric.Length == 0 || numeric.Any(c => !char.IsAsciiDigit(c) && c != '.') || !Version.TryParse(numeric, out var number))
        {
            return false;
        }
        version = new AgentVersion(number, preRelease, withoutBuild);
        return true;
    }

    /// <summary>
    /// Orders by number, then a pre-release before its release (1.4.0-beta &lt; 1.4.0); two pre-release tags of one
    /// number by ordinal comparison. Missing parts count as 0 (1.4 = 1.4.0).
    /// </summary>
    public int CompareTo(AgentVersion? other)
    {
        if (other is null)
        {
            return 1;
        }
        var byNumber = Normalized(Number).CompareTo(Normalized(other.Number));
        if (byNumber != 0)
        {
            return byNumber;
        }
        return (PreRelease, other.PreRelease) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            var (mine, theirs) => string.CompareOrdinal(mine, theirs),
        };
    }

    public bool IsNewerThan(AgentVersion other) => CompareTo(other) > 0;

    public override string ToString() => Text;

    private static Version Normalized(Version v) => new(v.Major, v.Minor, Math.Max(v.Build, 0), Math.Max(v.Revision, 0));
}

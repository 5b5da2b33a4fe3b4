namespace Volunteer.Sdk;

/// <summary>
/// An app's own judgement of one result, before any comparison (BOINC's init_result check): a result the app
/// can tell is wrong by itself (a payload it cannot parse, a count larger than its range) is invalid, counts
/// against the host that sent it, and can never become a unit's canonical result, however many hosts agree on it.
/// </summary>
public interface IResultValidator
{
    /// <summary>Null when <paramref name="payload"/> is a plausible result of <paramref name="unit"/>; otherwise why it is not.</summary>
    string? Check(UnitInput unit, ReadOnlySpan<byte> payload);
}

/// <summary>For apps whose results cannot be judged alone: every result is plausible, only agreement decides.</summary>
public sealed class AnyResultIsPlausible : IResultValidator
{
    public static AnyResultIsPlausible Instance { get; } = new();

    public string? Check(UnitInput unit, ReadOnlySpan<byte> payload) => null;
}

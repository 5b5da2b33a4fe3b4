using System.Globalization;
using System.Text.Json;

namespace Volunteer.EndToEnd.Tests;

/// <summary>One silo incarnation as a silo's membership view lists it ("ip:port@generation").</summary>
public sealed record ClusterMember(string Address, int Port, long Generation, string Name, string Status)
{
    /// <summary>Parses "127.0.0.1:11111@123456" into (127.0.0.1, 11111, 123456).</summary>
    public static (string Ip, int Port, long Generation) ParseAddress(string address)
    {
        var at = address.LastIndexOf('@');
        var colon = address.LastIndexOf(':', at < 0 ? address.Length - 1 : at);
        if (at < 0 || colon < 0)
        {
            throw new FormatException($"'{address}' is not a silo address of the form ip:port@generation.");
        }
        return (address[..colon],
            int.Parse(address[(colon + 1)..at], CultureInfo.InvariantCulture),
            long.Parse(address[(at + 1)..], CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// GET /api/v1/cluster of one silo: which silo answered (its silo port and generation) and the
/// membership it sees, every incarnation it knows of included (a restarted silo has a new generation).
/// </summary>
public sealed record ClusterSnapshot(string Self, int SelfPort, long SelfGeneration, long Version, IReadOnlyList<ClusterMember> Members, string Json)
{
    public static ClusterSnapshot Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var self = root.GetProperty("silo").GetString()!;
        var (_, selfPort, selfGeneration) = ClusterMember.ParseAddress(self);
        var members = root.GetProperty("silos").EnumerateArray()
            .Select(s =>
            {
                var address = s.GetProperty("address").GetString()!;
                var (_, port, generation) = ClusterMember.ParseAddress(address);
                return new ClusterMember(address, port, generation, s.GetProperty("name").GetString() ?? "", s.GetProperty("status").GetString()!);
            })
            .ToList();
        return new ClusterSnapshot(self, selfPort, selfGeneration, root.GetProperty("version").GetInt64(), members, json);
    }

    /// <summary>The newest incarnation listed for a silo port, or null if the view does not list it at all.</summary>
    public ClusterMember? Newest(int siloPort) => Members.Where(m => m.Port == siloPort).MaxBy(m => m.Generation);

    /// <summary>The status of one incarnation, or null if the view does not list it (e.g. cleaned up).</summary>
    public string? StatusOf(int siloPort, long generation) =>
        Members.FirstOrDefault(m => m.Port == siloPort && m.Generation == generation)?.Status;

    public override string ToString() =>
        $"{Self} (v{Version}) sees: {string.Join(", ", Members.Select(m => $"{m.Address} {m.Status}"))}";
}

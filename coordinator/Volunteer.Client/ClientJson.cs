using System.Text.Json;
using System.Text.Json.Serialization;
using Volunteer.Protocol;

namespace Volunteer.Client;

/// <summary>The JSON the client writes and reads: the protocol's conventions (<see cref="ProtocolJson"/>).</summary>
public static class ClientJson
{
    /// <summary>Requests: the protocol's strict conventions, leaving out what the caller left null so the coordinator applies its defaults.</summary>
    public static JsonSerializerOptions Requests { get; } = new(ProtocolJson.Options) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// Answers: the protocol's conventions, except that a field this client does not know is skipped, so that a
    /// coordinator of a later version, which may add fields, is still understood.
    /// </summary>
    public static JsonSerializerOptions Answers { get; } = new(ProtocolJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    /// <summary>JSON for people and scripts to read (the command line's --json and result output): indented.</summary>
    public static JsonSerializerOptions Indented { get; } = new(Requests) { WriteIndented = true };
}

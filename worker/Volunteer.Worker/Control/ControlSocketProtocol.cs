using System.Text.Json;
using System.Text.Json.Serialization;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Control;

/// <summary>
/// One request to the running agent, one JSON object on one line: {"command":"status"}, {"command":"pause",
/// "duration":"00:30:00"} (duration optional), {"command":"resume"}, {"command":"reload"}.
/// </summary>
public sealed record ControlRequest(string Command, TimeSpan? Duration = null)
{
    public const string Status = "status";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Reload = "reload";
}

/// <summary>The agent's answer to one request, one JSON object on one line: ok, or the error that stopped it.</summary>
/// <param name="Snapshot">What the agent is doing (status).</param>
/// <param name="Limits">The limits now in force (reload).</param>
public sealed record ControlAnswer(bool Ok, string? Error = null, AgentSnapshot? Snapshot = null, ComputeLimits? Limits = null);

/// <summary>The wire format of the control socket, shared by the agent and the commands that ask it.</summary>
public static class ControlSocketProtocol
{
    /// <summary>The file in the state directory the agent listens on.</summary>
    public const string FileName = "agent.sock";

    /// <summary>The longest request line the agent reads; a longer one is answered with an error and the connection closed.</summary>
    public const int MaxRequestBytes = 4096;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>An object as one line of JSON, newline included.</summary>
    public static byte[] Line<T>(T message)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, Json);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}

using System.Text;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Peers;

/// <summary>
/// A <see cref="BlobTicket"/> as it travels in the <see cref="PeerRoutes.TicketHeader"/> header: base64 (standard
/// alphabet, padded) of its JSON in the protocol's form, so that it fits one header line whatever it holds.
/// </summary>
public static class PeerTickets
{
    public static string Encode(BlobTicket ticket) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(ticket, ProtocolJson.Options));

    /// <summary>The ticket in a header value; null when the value is not one.</summary>
    public static BlobTicket? Decode(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<BlobTicket>(Encoding.UTF8.GetString(Convert.FromBase64String(value)), ProtocolJson.Options);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}

using System.Text.Json;

namespace Volunteer.Protocol;

/// <summary>
/// The JSON conventions of the public API, shared by the coordinator and the worker so both read
/// and write the same wire format. Missing required fields, nulls in non-nullable places, keys given
/// twice and numbers in strings are errors, which turns malformed requests into clear 400s instead of
/// half-filled objects.
/// </summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Apply(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the conventions to options owned by a host (e.g. ASP.NET Core's).</summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions options)
    {
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
        // Strict: a key given twice is ambiguous, and a number in a string is not a number.
        options.AllowDuplicateProperties = false;
        options.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        return options;
    }
}

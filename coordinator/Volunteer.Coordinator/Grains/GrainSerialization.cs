using System.Text.Json;
using Orleans.Serialization;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// How grain messages cross silos. The wire contracts (workunits/) and the domain records
/// (Scheduling) stay free of Orleans attributes, so the messages carry them as JSON; within a silo,
/// [Immutable] messages pass by reference and are not serialized at all.
/// </summary>
public static class GrainSerialization
{
    public static ISerializerBuilder AddGrainMessageSerializers(this ISerializerBuilder serializer) =>
        serializer.AddJsonSerializer(isSupported: type =>
            type.Namespace == typeof(JobView).Namespace || type.Namespace == typeof(JobRecord).Namespace || type == typeof(JsonElement));
}

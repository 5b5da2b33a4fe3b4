namespace Volunteer.Coordinator.Grains;

/// <summary>Counts of consecutive seconds: <see cref="Counts"/>[i] is that of Unix second <see cref="FirstSecond"/> + i.</summary>
[GenerateSerializer, Immutable, Alias("Volunteer.SecondCounts")]
public sealed record SecondCounts([property: Id(0)] long FirstSecond, [property: Id(1)] long[] Counts)
{
    public static SecondCounts None { get; } = new(0, []);

    /// <summary>The last second counted; <see cref="FirstSecond"/> - 1 when there are none.</summary>
    public long LastSecond => FirstSecond + Counts.Length - 1;
}

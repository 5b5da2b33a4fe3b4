namespace Volunteer.Coordinator.Grains;

/// <summary>
/// Grain references made the way Orleans makes them, but with the grain's types looked up once per interface.
/// <c>IGrainFactory.GetGrain&lt;T&gt;</c> resolves the interface's grain type anew on every call, reading the interface's
/// attributes by reflection and formatting its name: with two references a sync (the host's grain, then its job's), that
/// was 4.1% of a silo's CPU at 100,000 volunteers (perf over the measured 90 s of <c>POPULATION=100000 ./infra/bench.sh</c>).
/// </summary>
public static class GrainReferences
{
    public static TGrain Reference<TGrain>(this IGrainFactory grains, Guid key) where TGrain : IGrainWithGuidKey =>
        Make(grains, GrainIdKeyExtensions.CreateGuidKey(key), static any => any.GetGrain<TGrain>(Guid.Empty));

    public static TGrain Reference<TGrain>(this IGrainFactory grains, long key) where TGrain : IGrainWithIntegerKey =>
        Make(grains, GrainIdKeyExtensions.CreateIntegerKey(key), static any => any.GetGrain<TGrain>(0));

    public static TGrain Reference<TGrain>(this IGrainFactory grains, string key) where TGrain : IGrainWithStringKey =>
        Make(grains, IdSpan.Create(key), static any => any.GetGrain<TGrain>("any"));

    private static TGrain Make<TGrain>(IGrainFactory grains, IdSpan key, Func<IGrainFactory, TGrain> anyReference)
    {
        // One grain class implements each interface, in every silo: the types found for one reference serve them all.
        var (grainType, interfaceType) = Types<TGrain>.Resolved ??= Resolve((GrainReference)(object)anyReference(grains)!);
        return (TGrain)grains.GetGrain(GrainId.Create(grainType, key), interfaceType);
    }

    private static (GrainType, GrainInterfaceType) Resolve(GrainReference reference) => (reference.GrainId.Type, reference.InterfaceType);

    private static class Types<TGrain>
    {
        public static (GrainType Grain, GrainInterfaceType Interface)? Resolved;
    }
}
